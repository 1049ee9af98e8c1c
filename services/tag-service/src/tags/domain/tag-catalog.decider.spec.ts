import { given } from '@tagguard/testing';
import { decideCatalog, type Actor, type TagCatalogCommand } from './tag-catalog.decider';
import type { TagCatalogEvent } from './tag-catalog.events';
import { evolveCatalog, initialCatalogState } from './tag-catalog.state';

const spec = given<TagCatalogCommand, TagCatalogEvent, ReturnType<typeof initialCatalogState>>({
  decide: decideCatalog,
  evolve: evolveCatalog,
  initialState: initialCatalogState(),
});
const admin: Actor = { actorId: 'admin-1', roles: ['tenant_admin'], departmentId: 'dept-east' };
const other: Actor = { actorId: 'admin-2', roles: ['tenant_admin'], departmentId: 'dept-hq' };
const now = '2026-11-24T10:00:00.000Z';
const base = { actor: admin, now };

const created = (
  nodeId: string,
  name: string,
  parentId: string | null = null,
  nodeType: 'group' | 'tag' = 'tag',
  order = 0,
): TagCatalogEvent => ({
  type: 'NodeCreated',
  data: { nodeId, nodeType, kind: 'customer', name, parentId, order, description: '' },
});
const create = (
  nodeId: string,
  name: string,
  parentId: string | null = null,
  nodeType: 'group' | 'tag' = 'tag',
): TagCatalogCommand => ({
  type: 'CreateNode',
  data: { ...base, nodeId, nodeType, kind: 'customer', name, parentId, description: '' },
});
const chain = (levels: number): TagCatalogEvent[] =>
  Array.from({ length: levels }, (_, i) =>
    created(`g${i + 1}`, `level ${i + 1}`, i === 0 ? null : `g${i}`, 'group'),
  );
const deleteNode = (
  nodeId: string,
  memberCounts: Record<string, number> = {},
  actor = admin,
): TagCatalogCommand => ({
  type: 'DeleteNode',
  data: { actor, now, nodeId, memberCounts, operationId: 'op-1', approvalId: 'ap-1' },
});

describe('tag catalogue: names and nesting', () => {
  it('given nothing, when a tag is created, then it is created with the name trimmed and order 0', () => {
    spec([])
      .when(create('t1', '  VIP客户 '))
      .then([created('t1', 'VIP客户')]);
  });

  it('given a sibling "VIP客户", when "ｖｉｐ客户 " (full-width, lower case) is created beside it, then ALREADY_EXISTS names the field', () => {
    spec([created('t1', 'VIP客户')])
      .when(create('t2', 'ｖｉｐ客户 '))
      .thenThrows({ code: 'TAG.ALREADY_EXISTS', field: 'name' });
  });

  it('given a "VIP客户" in another group, when the same name is created at the root, then it is allowed', () => {
    spec([created('g1', '华东', null, 'group'), created('t1', 'VIP客户', 'g1')])
      .when(create('t2', 'VIP客户'))
      .then([created('t2', 'VIP客户', null, 'tag', 1)]);
  });

  it('given 4 nested groups, when a 5th level is created, then it is accepted', () => {
    spec(chain(4))
      .when(create('t5', 'leaf', 'g4'))
      .then([created('t5', 'leaf', 'g4')]);
  });

  it('given 5 nested levels, when a 6th is created, then INVALID_ARGUMENT names parent_id and the limit', () => {
    spec(chain(5))
      .when(create('t6', 'too deep', 'g5'))
      .thenThrows({
        code: 'TAG.INVALID_ARGUMENT',
        field: 'parent_id',
        message: 'tags nest at most 5 levels deep',
      });
  });

  it('given a tag, when a group is created under it, then it is refused', () => {
    spec([created('t1', 'VIP')])
      .when(create('g1', 'x', 't1', 'group'))
      .thenThrows({ code: 'TAG.INVALID_ARGUMENT', field: 'parent_id' });
  });

  it('given a customer group, when a member tag is created in it, then kind is named', () => {
    spec([created('g1', '客户', null, 'group')])
      .when({
        type: 'CreateNode',
        data: {
          ...base,
          nodeId: 't1',
          nodeType: 'tag',
          kind: 'member',
          name: 'x',
          parentId: 'g1',
          description: '',
        },
      })
      .thenThrows({ code: 'TAG.INVALID_ARGUMENT', field: 'kind' });
  });

  it('given a name of 33 characters, when created, then INVALID_ARGUMENT names the field', () => {
    spec([])
      .when(create('t1', '标'.repeat(33)))
      .thenThrows({ code: 'TAG.INVALID_ARGUMENT', field: 'name', message: 'must be at most 32 characters' });
  });

  it('given a tag, when renamed, then the previous name is kept in the event', () => {
    spec([created('t1', 'VIP客户')])
      .when({ type: 'RenameNode', data: { ...base, nodeId: 't1', name: '意向客户' } })
      .then([{ type: 'NodeRenamed', data: { nodeId: 't1', name: '意向客户', previousName: 'VIP客户' } }]);
  });

  it('given a tag at revision 1, when renamed expecting revision 0, then WRONG_EXPECTED_REVISION', () => {
    spec([created('t1', 'a'), { type: 'NodeRenamed', data: { nodeId: 't1', name: 'b', previousName: 'a' } }])
      .when({ type: 'RenameNode', data: { ...base, nodeId: 't1', name: 'c', expectedRevision: 0 } })
      .thenThrows({ code: 'TAG.WRONG_EXPECTED_REVISION', field: 'expected_revision' });
  });

  it('given a group and its child, when the group is moved under the child, then the cycle is refused', () => {
    spec([created('g1', 'a', null, 'group'), created('g2', 'b', 'g1', 'group')])
      .when({ type: 'MoveNode', data: { ...base, nodeId: 'g1', parentId: 'g2' } })
      .thenThrows({
        code: 'TAG.INVALID_ARGUMENT',
        field: 'parent_id',
        message: 'cannot move a node under itself or its descendants',
      });
  });

  it('given a 2-level subtree, when moved under a 4th level, then the 6-level result is refused', () => {
    spec([...chain(4), created('x', 'x', null, 'group'), created('y', 'y', 'x')])
      .when({ type: 'MoveNode', data: { ...base, nodeId: 'x', parentId: 'g4' } })
      .thenThrows({ code: 'TAG.INVALID_ARGUMENT', field: 'parent_id' });
  });

  it('given two groups, when a tag moves between them, then NodeMoved records both parents and the new order', () => {
    spec([
      created('g1', 'a', null, 'group'),
      created('g2', 'b', null, 'group', 1),
      created('t1', 'VIP', 'g1'),
    ])
      .when({ type: 'MoveNode', data: { ...base, nodeId: 't1', parentId: 'g2' } })
      .then([
        { type: 'NodeMoved', data: { nodeId: 't1', parentId: 'g2', previousParentId: 'g1', order: 0 } },
      ]);
  });

  it('given a tag, when reordered and described, then each is recorded; a repeat is a no-op', () => {
    const history = [created('t1', 'VIP')];
    spec(history)
      .when({ type: 'ReorderNode', data: { ...base, nodeId: 't1', order: 3 } })
      .then([{ type: 'NodeReordered', data: { nodeId: 't1', order: 3 } }]);
    spec(history)
      .when({ type: 'ReorderNode', data: { ...base, nodeId: 't1', order: 0 } })
      .then([]);
    spec(history)
      .when({ type: 'DescribeNode', data: { ...base, nodeId: 't1', description: ' 高价值客户 ' } })
      .then([{ type: 'NodeDescribed', data: { nodeId: 't1', description: '高价值客户' } }]);
  });
});

describe('tag catalogue: visibility', () => {
  it('given a tag, when restricted to a department with sub-departments and flagged sensitive, then both are stored', () => {
    const visibility = {
      scope: 'restricted' as const,
      departments: [{ departmentId: 'd1', includeSubDepartments: true }],
      roles: ['sales'],
      members: [],
    };
    spec([created('t1', 'VIP')])
      .when({ type: 'ConfigureVisibility', data: { ...base, nodeId: 't1', visibility, sensitive: true } })
      .then([{ type: 'VisibilityConfigured', data: { nodeId: 't1', visibility, sensitive: true } }]);
  });

  it('given a tag, when restricted to nobody, then INVALID_ARGUMENT names visibility', () => {
    spec([created('t1', 'VIP')])
      .when({
        type: 'ConfigureVisibility',
        data: {
          ...base,
          nodeId: 't1',
          visibility: { scope: 'restricted', departments: [], roles: [], members: [] },
          sensitive: false,
        },
      })
      .thenThrows({ code: 'TAG.INVALID_ARGUMENT', field: 'visibility' });
  });
});

describe('tag catalogue: recycle bin and graduated alerts', () => {
  const group = [
    created('g1', '大客户', null, 'group'),
    created('t1', 'VIP客户', 'g1'),
    created('t2', '意向客户', 'g1', 'tag', 1),
  ];

  it('given a group of two tags with 30 members, when deleted, then the subtree is binned for 72 h and nothing is alerted', () => {
    spec(group)
      .when(deleteNode('g1', { t1: 20, t2: 10 }))
      .then([
        {
          type: 'NodesBinned',
          data: {
            rootId: 'g1',
            nodeIds: ['g1', 't1', 't2'],
            deletedBy: 'admin-1',
            deletedAt: now,
            purgeDueAt: '2026-11-27T10:00:00.000Z',
            affected: [
              { tagId: 't1', name: 'VIP客户', memberCount: 20 },
              { tagId: 't2', name: '意向客户', memberCount: 10 },
            ],
          },
        },
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

  const frozen: TagCatalogEvent = {
    type: 'OperatorFrozen',
    data: { actorId: 'admin-1', operationId: 'op-1', reason: 'x' },
  };

  it('given a frozen actor, when they write anything, then OPERATOR_FROZEN', () => {
    spec([...group, frozen])
      .when(create('t9', 'x'))
      .thenThrows({ code: 'TAG.OPERATOR_FROZEN' });
  });

  it('given a frozen actor, when another admin unfreezes them, then they are unfrozen; they cannot unfreeze themself', () => {
    spec([...group, frozen])
      .when({ type: 'UnfreezeOperator', data: { actor: other, now, frozenActorId: 'admin-1' } })
      .then([{ type: 'OperatorUnfrozen', data: { actorId: 'admin-1', by: 'admin-2' } }]);
    spec([...group, frozen])
      .when({ type: 'UnfreezeOperator', data: { ...base, frozenActorId: 'admin-1' } })
      .thenThrows({ code: 'TAG.PERMISSION_DENIED' });
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

  const binned = (): TagCatalogEvent => ({
    type: 'NodesBinned',
    data: {
      rootId: 'g1',
      nodeIds: ['g1', 't1', 't2'],
      deletedBy: 'admin-1',
      deletedAt: now,
      purgeDueAt: '2026-11-27T10:00:00.000Z',
      affected: [],
    },
  });

  it('given a binned group, when restored within 72 h, then the whole subtree comes back', () => {
    spec([...group, binned()])
      .when({ type: 'RestoreNode', data: { actor: other, now: '2026-11-26T10:00:00.000Z', nodeId: 'g1' } })
      .then([
        { type: 'NodesRestored', data: { rootId: 'g1', nodeIds: ['g1', 't1', 't2'], restoredBy: 'admin-2' } },
      ]);
  });

  it('given a binned group, when a child is restored alone, then FAILED_PRECONDITION names the root to restore', () => {
    spec([...group, binned()])
      .when({ type: 'RestoreNode', data: { ...base, nodeId: 't1' } })
      .thenThrows({
        code: 'TAG.FAILED_PRECONDITION',
        message: 'tag t1 was deleted with g1; restore that one',
      });
  });

  it('given a binned group past its retention, when restored, then RETENTION_EXPIRED', () => {
    spec([...group, binned()])
      .when({ type: 'RestoreNode', data: { ...base, now: '2026-11-27T10:00:00.000Z', nodeId: 'g1' } })
      .thenThrows({ code: 'TAG.RETENTION_EXPIRED' });
  });

  it('given a binned group whose name was reused, when restored, then ALREADY_EXISTS', () => {
    spec([...group, binned(), created('g9', '大客户', null, 'group', 0)])
      .when({ type: 'RestoreNode', data: { ...base, nodeId: 'g1' } })
      .thenThrows({ code: 'TAG.ALREADY_EXISTS', field: 'name' });
  });

  it('given a binned group, when the purge runs before and after its due time, then it is purged only after', () => {
    spec([...group, binned()])
      .when({ type: 'PurgeDueNodes', data: { ...base, now: '2026-11-27T09:59:59.000Z' } })
      .then([]);
    spec([...group, binned()])
      .when({ type: 'PurgeDueNodes', data: { ...base, now: '2026-11-27T10:00:00.000Z' } })
      .then([{ type: 'NodesPurged', data: { rootId: 'g1', nodeIds: ['g1', 't1', 't2'] } }]);
  });

  it('given a binned tag, when it is written to, then ALREADY_DELETED', () => {
    spec([...group, binned()])
      .when({ type: 'RenameNode', data: { ...base, nodeId: 't1', name: 'x' } })
      .thenThrows({ code: 'TAG.ALREADY_DELETED' });
  });
});

describe('tag catalogue: four-eyes approval', () => {
  const protectedTag: TagCatalogEvent[] = [
    created('t1', 'VIP客户'),
    { type: 'ProtectionSet', data: { nodeId: 't1', protected: true } },
  ];
  const requested: TagCatalogEvent = {
    type: 'ApprovalRequested',
    data: {
      approvalId: 'ap-1',
      operation: { type: 'delete', nodeId: 't1' },
      requestedBy: 'admin-1',
      requestedByDepartment: 'dept-east',
      requestedAt: now,
      expiresAt: '2026-11-25T10:00:00.000Z',
    },
  };

  it('given a protected tag, when deleted, then only an approval is requested', () => {
    spec(protectedTag)
      .when(deleteNode('t1', { t1: 3 }))
      .then([requested]);
  });

  it('given a pending approval, when the requester approves it, then PERMISSION_DENIED', () => {
    spec([...protectedTag, requested])
      .when({
        type: 'ApproveOperation',
        data: { ...base, approvalId: 'ap-1', memberCounts: {}, operationId: 'op-2' },
      })
      .thenThrows({ code: 'TAG.PERMISSION_DENIED', field: 'approval_id' });
  });

  it('given a pending delete of 250 members, when a second admin approves, then it executes, is reported as approved, and nobody is frozen', () => {
    spec([...protectedTag, requested])
      .when({
        type: 'ApproveOperation',
        data: { actor: other, now, approvalId: 'ap-1', memberCounts: { t1: 250 }, operationId: 'op-2' },
      })
      .then([
        { type: 'ApprovalGranted', data: { approvalId: 'ap-1', by: 'admin-2' } },
        expect.objectContaining({
          type: 'NodesBinned',
          data: expect.objectContaining({ deletedBy: 'admin-1' }),
        }),
        expect.objectContaining({
          type: 'SensitiveOperationDetected',
          data: expect.objectContaining({
            level: 'critical',
            approvedBy: 'admin-2',
            actorDepartment: 'dept-east',
          }),
        }),
        expect.objectContaining({ type: 'NotificationRequested' }),
        expect.objectContaining({ type: 'NotificationRequested' }),
      ] as TagCatalogEvent[]);
  });

  it('given an expired approval, when approved, then APPROVAL_EXPIRED; the sweep records the expiry', () => {
    const later = '2026-11-25T10:00:00.000Z';
    spec([...protectedTag, requested])
      .when({
        type: 'ApproveOperation',
        data: { actor: other, now: later, approvalId: 'ap-1', memberCounts: {}, operationId: 'op-2' },
      })
      .thenThrows({ code: 'TAG.APPROVAL_EXPIRED' });
    spec([...protectedTag, requested])
      .when({ type: 'ExpireApprovals', data: { ...base, now: later } })
      .then([{ type: 'ApprovalExpired', data: { approvalId: 'ap-1' } }]);
  });

  it('given a rejected approval, when approved, then FAILED_PRECONDITION', () => {
    spec([
      ...protectedTag,
      requested,
      { type: 'ApprovalRejected', data: { approvalId: 'ap-1', by: 'admin-2', reason: 'no' } },
    ])
      .when({
        type: 'ApproveOperation',
        data: { actor: other, now, approvalId: 'ap-1', memberCounts: {}, operationId: 'op-2' },
      })
      .thenThrows({ code: 'TAG.FAILED_PRECONDITION' });
  });

  it('given a protected tag, when members are removed, then an approval is requested; on an unprotected tag 200 removals are critical', () => {
    const members = [{ kind: 'customer' as const, id: 'c1' }];
    spec(protectedTag)
      .when({
        type: 'GuardMembershipChange',
        data: {
          ...base,
          change: 'remove_members',
          tagId: 't1',
          members,
          operationId: 'op-1',
          approvalId: 'ap-1',
        },
      })
      .then([
        expect.objectContaining({
          type: 'ApprovalRequested',
          data: expect.objectContaining({ operation: { type: 'remove_members', tagId: 't1', members } }),
        }),
      ] as TagCatalogEvent[]);
    const many = Array.from({ length: 200 }, (_, i) => ({ kind: 'customer' as const, id: `c${i}` }));
    spec([created('t2', 'x')])
      .when({
        type: 'GuardMembershipChange',
        data: {
          ...base,
          change: 'remove_members',
          tagId: 't2',
          members: many,
          operationId: 'op-1',
          approvalId: 'ap-1',
        },
      })
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

describe('tag catalogue: automations and revert rules', () => {
  it('given a customer tag, when an automation is defined on it, then it is recorded; on a group it is refused', () => {
    const rule = {
      ruleId: 'r1',
      tagId: 't1',
      assigneeId: 'sales-1',
      dueInHours: 24,
      guideTemplate: '联系 {{customer.name}}',
    };
    spec([created('t1', '意向客户')])
      .when({ type: 'DefineAutomation', data: { ...base, rule } })
      .then([{ type: 'AutomationRuleDefined', data: rule }]);
    spec([created('g1', 'x', null, 'group')])
      .when({ type: 'DefineAutomation', data: { ...base, rule: { ...rule, tagId: 'g1' } } })
      .thenThrows({ code: 'TAG.INVALID_ARGUMENT', field: 'tag_id' });
  });

  it('given a rate-limit rule of 0, then INVALID_ARGUMENT names max_per_hour', () => {
    spec([created('t1', 'x')])
      .when({
        type: 'DefineRevertRule',
        data: { ...base, rule: { ruleId: 'r1', tagId: 't1', type: 'removal_rate_limit', maxPerHour: 0 } },
      })
      .thenThrows({ code: 'TAG.INVALID_ARGUMENT', field: 'max_per_hour' });
  });
});
