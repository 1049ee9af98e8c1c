import type { TagCatalogEvent } from '../../domain/tag-catalog.events';
import {
  base,
  catalogSpec,
  created,
  deleteNode,
  deleteRequested,
  group,
  groupBinned,
  other,
  protectedTag,
} from '../../../testing/catalog-decider.fixtures';
import { decideRecycleBin } from './recycle-bin.decider';

const spec = catalogSpec(decideRecycleBin);

describe('recycle bin: delete, graded by the sensitive-operation policy', () => {
  it('given a group of two tags with 30 members, when deleted, then the subtree is binned for 72 h and nothing is alerted', () => {
    spec(group)
      .when(deleteNode('g1', { t1: 20, t2: 10 }))
      .then([
        groupBinned([
          { tagId: 't1', name: 'VIP客户', memberCount: 20 },
          { tagId: 't2', name: '意向客户', memberCount: 10 },
        ]),
      ]);
  });

  it('given 50 members, when deleted, then a warning is recorded and nobody is frozen', () => {
    spec(group)
      .when(deleteNode('g1', { t1: 40, t2: 10 }))
      .then([
        expect.objectContaining({ type: 'NodesBinned' }),
        {
          type: 'SensitiveOperationDetected',
          data: expect.objectContaining({
            level: 'warning',
            operation: 'delete',
            totalMembers: 50,
            actorId: 'admin-1',
            actorDepartment: 'dept-east',
            approvedBy: null,
          }),
        },
      ] as TagCatalogEvent[]);
  });

  it('given the "VIP客户" tag of 200 members, when a regional manager deletes it, then it is binned, the manager frozen, HQ audit and the security officer notified', () => {
    spec(group)
      .when(deleteNode('t1', { t1: 200 }))
      .then([
        expect.objectContaining({ type: 'NodesBinned' }),
        {
          type: 'SensitiveOperationDetected',
          data: {
            operationId: 'op-1',
            level: 'critical',
            operation: 'delete',
            actorId: 'admin-1',
            actorDepartment: 'dept-east',
            affected: [{ tagId: 't1', name: 'VIP客户', memberCount: 200 }],
            totalMembers: 200,
            beforeState: 'tag VIP客户 with 1 tag(s), 200 member(s): VIP客户 (200)',
            approvedBy: null,
          },
        },
        {
          type: 'OperatorFrozen',
          data: { actorId: 'admin-1', operationId: 'op-1', reason: 'critical delete of 200 members' },
        },
        {
          type: 'NotificationRequested',
          data: expect.objectContaining({ channel: 'hq_audit', level: 'critical', operationId: 'op-1' }),
        },
        {
          type: 'NotificationRequested',
          data: expect.objectContaining({
            channel: 'security_officer',
            level: 'critical',
            operationId: 'op-1',
          }),
        },
      ] as TagCatalogEvent[]);
  });

  it('given a per-tenant policy of 5/10, when 10 members are deleted, then it is critical', () => {
    spec([
      ...group,
      {
        type: 'PolicyConfigured',
        data: { warningThreshold: 5, criticalThreshold: 10, retentionHours: 24, approvalTtlHours: 1 },
      },
    ])
      .when(deleteNode('t1', { t1: 10 }))
      .then([
        expect.objectContaining({
          type: 'NodesBinned',
          data: expect.objectContaining({ purgeDueAt: '2026-11-25T10:00:00.000Z' }),
        }),
        expect.objectContaining({
          type: 'SensitiveOperationDetected',
          data: expect.objectContaining({ level: 'critical' }),
        }),
        expect.objectContaining({ type: 'OperatorFrozen' }),
        expect.objectContaining({ type: 'NotificationRequested' }),
        expect.objectContaining({ type: 'NotificationRequested' }),
      ] as TagCatalogEvent[]);
  });

  it('given a protected tag, when deleted, then only an approval is requested', () => {
    spec(protectedTag)
      .when(deleteNode('t1', { t1: 3 }))
      .then([deleteRequested]);
  });
});

describe('recycle bin: restore and purge', () => {
  it('given a binned group, when restored within 72 h, then the whole subtree comes back', () => {
    spec([...group, groupBinned()])
      .when({ type: 'RestoreNode', data: { actor: other, now: '2026-11-26T10:00:00.000Z', nodeId: 'g1' } })
      .then([
        { type: 'NodesRestored', data: { rootId: 'g1', nodeIds: ['g1', 't1', 't2'], restoredBy: 'admin-2' } },
      ]);
  });

  it('given a binned group, when a child is restored alone, then FAILED_PRECONDITION names the root to restore', () => {
    spec([...group, groupBinned()])
      .when({ type: 'RestoreNode', data: { ...base, nodeId: 't1' } })
      .thenThrows({
        code: 'TAG.FAILED_PRECONDITION',
        message: 'tag t1 was deleted with g1; restore that one',
      });
  });

  it('given a binned group past its retention, when restored, then RETENTION_EXPIRED', () => {
    spec([...group, groupBinned()])
      .when({ type: 'RestoreNode', data: { ...base, now: '2026-11-27T10:00:00.000Z', nodeId: 'g1' } })
      .thenThrows({ code: 'TAG.RETENTION_EXPIRED' });
  });

  it('given a binned group whose name was reused, when restored, then ALREADY_EXISTS', () => {
    spec([...group, groupBinned(), created('g9', '大客户', null, 'group', 0)])
      .when({ type: 'RestoreNode', data: { ...base, nodeId: 'g1' } })
      .thenThrows({ code: 'TAG.ALREADY_EXISTS', field: 'name' });
  });

  it('given a binned group, when the purge runs before and after its due time, then it is purged only after', () => {
    spec([...group, groupBinned()])
      .when({ type: 'PurgeDueNodes', data: { ...base, now: '2026-11-27T09:59:59.000Z' } })
      .then([]);
    spec([...group, groupBinned()])
      .when({ type: 'PurgeDueNodes', data: { ...base, now: '2026-11-27T10:00:00.000Z' } })
      .then([{ type: 'NodesPurged', data: { rootId: 'g1', nodeIds: ['g1', 't1', 't2'] } }]);
  });
});
