import { base, catalogSpec, frozenByOp1, group, now, other } from '../../../testing/catalog-decider.fixtures';
import { decideFreezes } from './freezes.decider';

const spec = catalogSpec(decideFreezes);

describe('freezes and the graduated policy', () => {
  it('given a frozen actor, when another admin unfreezes them, then they are unfrozen; they cannot unfreeze themself', () => {
    spec([...group, frozenByOp1])
      .when({ type: 'UnfreezeOperator', data: { actor: other, now, frozenActorId: 'admin-1' } })
      .then([{ type: 'OperatorUnfrozen', data: { actorId: 'admin-1', by: 'admin-2' } }]);
    spec([...group, frozenByOp1])
      .when({ type: 'UnfreezeOperator', data: { ...base, frozenActorId: 'admin-1' } })
      .thenThrows({ code: 'TAG.PERMISSION_DENIED' });
  });

  it('given a policy whose critical threshold is below the warning one, then INVALID_ARGUMENT names critical_threshold', () => {
    spec([])
      .when({
        type: 'ConfigurePolicy',
        data: {
          ...base,
          policy: { warningThreshold: 50, criticalThreshold: 10, retentionHours: 72, approvalTtlHours: 24 },
        },
      })
      .thenThrows({ code: 'TAG.INVALID_ARGUMENT', field: 'critical_threshold' });
  });

  it.each([
    ['retention_hours', { retentionHours: 8761 }],
    ['retention_hours', { retentionHours: 2147483647 }],
    ['approval_ttl_hours', { approvalTtlHours: 721 }],
  ])('given a policy whose %s is beyond its bound, then INVALID_ARGUMENT names it', (field, bad) => {
    spec([])
      .when({
        type: 'ConfigurePolicy',
        data: {
          ...base,
          policy: {
            warningThreshold: 50,
            criticalThreshold: 200,
            retentionHours: 72,
            approvalTtlHours: 24,
            ...bad,
          },
        },
      })
      .thenThrows({ code: 'TAG.INVALID_ARGUMENT', field });
  });

  it('given a policy at its bounds (a year in the bin, 30 days to approve), then it is configured', () => {
    const policy = {
      warningThreshold: 50,
      criticalThreshold: 200,
      retentionHours: 8760,
      approvalTtlHours: 720,
    };
    spec([])
      .when({ type: 'ConfigurePolicy', data: { ...base, policy } })
      .then([{ type: 'PolicyConfigured', data: policy }]);
  });
});
