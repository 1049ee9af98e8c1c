import type { TagCatalogEvent } from '../../domain/tag-catalog.events';
import { base, catalogSpec, created, protectedTag } from '../../../testing/catalog-decider.fixtures';
import { decideMembershipGuard, type MembershipGuardCommand } from './membership-guard.decider';

const spec = catalogSpec(decideMembershipGuard);
const removal = (
  tagId: string,
  members: MembershipGuardCommand['data']['members'],
): MembershipGuardCommand => ({
  type: 'GuardMembershipChange',
  data: { ...base, change: 'remove_members', tagId, members, operationId: 'op-1', approvalId: 'ap-1' },
});

describe('membership guard', () => {
  it('given a protected tag, when members are added with attributes, then the approval keeps them', () => {
    const members = [{ kind: 'customer' as const, id: 'c3' }];
    const attributes = { c3: { name: '李先生' } };
    spec(protectedTag)
      .when({
        type: 'GuardMembershipChange',
        data: {
          ...base,
          change: 'add_members',
          tagId: 't1',
          members,
          attributes,
          operationId: 'op-2',
          approvalId: 'ap-2',
        },
      })
      .then([
        expect.objectContaining({
          type: 'ApprovalRequested',
          data: expect.objectContaining({
            operation: { type: 'add_members', tagId: 't1', members, attributes },
          }),
        }),
      ] as TagCatalogEvent[]);
  });

  it('given a protected tag, when members are removed, then an approval is requested; on an unprotected tag 200 removals are critical', () => {
    const members = [{ kind: 'customer' as const, id: 'c1' }];
    spec(protectedTag)
      .when(removal('t1', members))
      .then([
        expect.objectContaining({
          type: 'ApprovalRequested',
          data: expect.objectContaining({ operation: { type: 'remove_members', tagId: 't1', members } }),
        }),
      ] as TagCatalogEvent[]);
    const many = Array.from({ length: 200 }, (_, i) => ({ kind: 'customer' as const, id: `c${i}` }));
    spec([created('t2', 'x')])
      .when(removal('t2', many))
      .then([
        expect.objectContaining({
          type: 'SensitiveOperationDetected',
          data: expect.objectContaining({ operation: 'bulk_remove', level: 'critical' }),
        }),
        expect.objectContaining({ type: 'OperatorFrozen' }),
        expect.objectContaining({ type: 'NotificationRequested' }),
        expect.objectContaining({ type: 'NotificationRequested' }),
      ] as TagCatalogEvent[]);
  });
});
