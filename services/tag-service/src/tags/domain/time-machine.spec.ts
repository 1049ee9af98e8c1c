import type { MemberRef, TagCatalogEvent } from './tag-catalog.events';
import { evolveCatalog, initialCatalogState } from './tag-catalog.state';
import {
  decideRestore,
  diffTrees,
  gradeRestore,
  planRestore,
  scopeOf,
  type RestoreRequest,
  type TreeView,
} from './time-machine';

const created = (
  nodeId: string,
  name: string,
  parentId: string | null = null,
  nodeType: 'group' | 'tag' = 'tag',
): TagCatalogEvent => ({
  type: 'NodeCreated',
  data: { nodeId, nodeType, kind: 'customer', name, parentId, order: 0, description: '' },
});
const c = (id: string): MemberRef => ({ kind: 'customer', id });
const view = (events: TagCatalogEvent[], members: Record<string, string[]> = {}): TreeView => ({
  catalog: events.reduce(evolveCatalog, initialCatalogState()),
  members: new Map(
    Object.entries(members).map(([tag, ids]) => [tag, new Map(ids.map((id) => [`customer:${id}`, c(id)]))]),
  ),
});
const context = {
  restoreId: 'r1',
  asOf: '2026-11-23T10:00:00.000Z',
  actorId: 'admin-1',
  now: '2026-11-24T10:00:00.000Z',
};
const binned = (rootId: string, nodeIds: string[]): TagCatalogEvent => ({
  type: 'NodesBinned',
  data: {
    rootId,
    nodeIds,
    deletedBy: 'intern',
    deletedAt: '2026-11-24T09:00:00.000Z',
    purgeDueAt: '2026-11-27T09:00:00.000Z',
    affected: [],
  },
});

describe('time machine: diff and restore plan', () => {
  const yesterday = [
    created('g', 'VIP客户', null, 'group'),
    created('t1', '华东VIP', 'g'),
    created('t2', '华南VIP', 'g'),
  ];

  it('given yesterday and today (a tag deleted, one renamed, members removed), then the diff lists each change, parents first', () => {
    const before = view(yesterday, { t1: ['a', 'b'], t2: ['c'] });
    const after = view(
      [
        ...yesterday,
        { type: 'NodeRenamed', data: { nodeId: 't2', name: '华南', previousName: '华南VIP' } },
        binned('t1', ['t1']),
      ],
      { t1: ['a', 'b'], t2: [] },
    );
    expect(diffTrees(before, after, scopeOf(before.catalog, after.catalog, 'g'))).toEqual([
      { change: 'deleted', nodeId: 't1', name: '华东VIP' },
      { change: 'renamed', nodeId: 't2', name: '华南', previousName: '华南VIP' },
      { change: 'members_removed', nodeId: 't2', name: '华南', members: [c('c')] },
    ]);
  });

  it('given the group cleared today, when restored to yesterday, then the binned tag is reset to active and the members come back', () => {
    const current = view([...yesterday, binned('t1', ['t1'])], { t1: [], t2: [] });
    const target = view(yesterday, { t1: ['a', 'b'], t2: ['c'] });
    const plan = planRestore(current, target, scopeOf(target.catalog, current.catalog, 'g'), context);
    expect(plan.catalog).toEqual([
      {
        type: 'NodeStateRestored',
        data: expect.objectContaining({
          restoreId: 'r1',
          status: 'active',
          bin: null,
          node: expect.objectContaining({ nodeId: 't1', name: '华东VIP' }),
        }),
      },
    ] as TagCatalogEvent[]);
    expect(plan.members).toEqual([
      { tagId: 't1', add: [c('a'), c('b')], remove: [] },
      { tagId: 't2', add: [c('c')], remove: [] },
    ]);
    expect(plan.unpurged).toEqual([]);
  });

  it('given a tag created and deleted between the two moments, then the diff says nothing of it: live in neither view, as a restore leaves it', () => {
    const before = view(yesterday);
    const after = view([...yesterday, created('t9', '活动期', 'g'), binned('t9', ['t9'])], { t9: ['a'] });
    const ids = scopeOf(before.catalog, after.catalog, null);
    expect(diffTrees(before, after, ids)).toEqual([]);
    expect(planRestore(after, before, ids, context).changes).toEqual([]);
  });

  it('given a tag in the bin at both moments whose members changed (a departed employee removed), then the diff says so; a restore leaves the binned tag as it is', () => {
    const inBin = [...yesterday, binned('t1', ['t1'])];
    const before = view(inBin, { t1: ['a', 'b'] });
    const after = view(inBin, { t1: ['a'] });
    const ids = scopeOf(before.catalog, after.catalog, 'g');
    expect(diffTrees(before, after, ids)).toEqual([
      { change: 'members_removed', nodeId: 't1', name: '华东VIP', members: [c('b')] },
    ]);
    expect(planRestore(after, before, ids, context).changes).toEqual([]);
  });

  it('given a tag created after the moment, when the tenant is restored, then it is binned (recoverable), not erased', () => {
    const current = view([...yesterday, created('t9', '新标签')]);
    const plan = planRestore(
      current,
      view(yesterday),
      scopeOf(view(yesterday).catalog, current.catalog, null),
      context,
    );
    expect(plan.catalog).toEqual([
      {
        type: 'NodeStateRestored',
        data: expect.objectContaining({
          status: 'binned',
          bin: {
            rootId: 't9',
            deletedBy: 'admin-1',
            deletedAt: context.now,
            purgeDueAt: '2026-11-27T10:00:00.000Z',
          },
        }),
      },
    ] as TagCatalogEvent[]);
  });

  it('given a purged tag, then the plan says it would be unpurged', () => {
    const current = view([
      ...yesterday,
      binned('t1', ['t1']),
      { type: 'NodesPurged', data: { rootId: 't1', nodeIds: ['t1'] } },
    ]);
    expect(planRestore(current, view(yesterday), ['t1'], context).unpurged).toEqual(['t1']);
  });

  it('given the name was taken since, when the tag is restored, then ALREADY_EXISTS names the clash', () => {
    const current = view([...yesterday, binned('t1', ['t1']), created('t8', '华东VIP', 'g')]);
    expect(() => planRestore(current, view(yesterday), ['t1'], context)).toThrow(
      expect.objectContaining({ code: 'TAG.ALREADY_EXISTS' }),
    );
  });

  it('given its parent is deleted now and outside the scope, when a child is restored alone, then FAILED_PRECONDITION', () => {
    const current = view([...yesterday, binned('g', ['g', 't1', 't2'])]);
    expect(() => planRestore(current, view(yesterday), ['t1'], context)).toThrow(
      expect.objectContaining({ code: 'TAG.FAILED_PRECONDITION' }),
    );
  });

  it('given nothing changed, then the plan is empty', () => {
    const same = view(yesterday, { t1: ['a'] });
    expect(planRestore(same, same, ['g', 't1', 't2'], context)).toMatchObject({
      catalog: [],
      members: [],
      changes: [],
    });
  });
});

describe('time machine: a restore is graded by the sensitive-operation policy', () => {
  const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  const policy: TagCatalogEvent = {
    type: 'PolicyConfigured',
    data: { warningThreshold: 5, criticalThreshold: 10, retentionHours: 72, approvalTtlHours: 24 },
  };
  const then = [policy, created('g', 'VIP客户', null, 'group'), created('t1', '华东VIP', 'g')];
  const request: RestoreRequest = {
    restoreId: 'r1',
    rootId: 'g',
    asOf: { timestamp: '2026-11-23T10:00:00.000Z' },
    asOfLabel: '2026-11-23T10:00:00.000Z',
    actor: { actorId: 'admin-1', departmentId: 'hq' },
    now: '2026-11-24T10:00:00.000Z',
    approvedBy: null,
    approvalId: 'a1',
    mayUnpurge: false,
  };
  const restoring = (current: TreeView, target: TreeView) => {
    const plan = planRestore(current, target, scopeOf(target.catalog, current.catalog, 'g'), context);
    const grade = gradeRestore(plan, current);
    return { plan, grade };
  };

  it('given members added since, when restored, then the removals are counted; below the warning threshold nothing is reported', () => {
    const { plan, grade } = restoring(view(then, { t1: ids('a', 4) }), view(then, { t1: [] }));
    expect(grade).toEqual({
      level: 'none',
      affected: [{ tagId: 't1', name: '华东VIP', memberCount: 4 }],
      totalMembers: 4,
    });
    expect(decideRestore(plan, grade, request, 24).map((e) => e.type)).toEqual(['RestoreApplied']);
  });

  it('given members put back only, then nothing is counted: adding back is what a restore is for', () => {
    const { grade } = restoring(view(then, { t1: [] }), view(then, { t1: ids('a', 50) }));
    expect(grade).toMatchObject({ level: 'none', totalMembers: 0, affected: [] });
  });

  it('given a tag with 6 members created since, when restored, then binning it counts its members: a warning, recorded, nobody frozen', () => {
    const current = view([...then, created('t2', '新标签', 'g')], { t1: [], t2: ids('b', 6) });
    const { plan, grade } = restoring(current, view(then, { t1: [] }));
    expect(grade).toMatchObject({ level: 'warning', totalMembers: 6 });
    const events = decideRestore(plan, grade, request, 24);
    expect(events.map((e) => e.type)).toEqual([
      'RestoreApplied',
      'NodeStateRestored',
      'SensitiveOperationDetected',
    ]);
    expect(events[2]).toMatchObject({
      data: {
        operationId: 'r1',
        level: 'warning',
        operation: 'restore',
        actorId: 'admin-1',
        approvedBy: null,
      },
    });
  });

  it('given a restore that takes away 12 members, when not approved, then only a four-eyes approval is requested', () => {
    const { plan, grade } = restoring(view(then, { t1: ids('a', 12) }), view(then, { t1: [] }));
    expect(grade.level).toBe('critical');
    expect(decideRestore(plan, grade, request, 24)).toEqual([
      {
        type: 'ApprovalRequested',
        data: {
          approvalId: 'a1',
          operation: {
            type: 'restore',
            tagId: 'g',
            members: [],
            asOf: request.asOf,
            restoreId: 'r1',
            mayUnpurge: false,
            totalMembers: 12,
          },
          requestedBy: 'admin-1',
          requestedByDepartment: 'hq',
          requestedAt: request.now,
          expiresAt: '2026-11-25T10:00:00.000Z',
        },
      },
    ]);
  });

  it('given a restore approved for 12 members, when it would now take 20, then it is refused: the approver agreed to less', () => {
    const { plan, grade } = restoring(view(then, { t1: ids('a', 20) }), view(then, { t1: [] }));
    expect(() =>
      decideRestore(plan, grade, { ...request, approvedBy: 'admin-2', approvedMembers: 12 }, 24),
    ).toThrow(expect.objectContaining({ code: 'TAG.FAILED_PRECONDITION', field: 'approval_id' }));
    const same = restoring(view(then, { t1: ids('a', 12) }), view(then, { t1: [] }));
    expect(
      decideRestore(same.plan, same.grade, { ...request, approvedBy: 'admin-2', approvedMembers: 12 }, 24)[0],
    ).toMatchObject({ type: 'RestoreApplied' });
  });

  it('given the critical restore approved by a second person, then it runs, reported with the approver and notified', () => {
    const { plan, grade } = restoring(view(then, { t1: ids('a', 12) }), view(then, { t1: [] }));
    const events = decideRestore(plan, grade, { ...request, approvedBy: 'admin-2' }, 24);
    expect(events.map((e) => e.type)).toEqual([
      'RestoreApplied',
      'SensitiveOperationDetected',
      'NotificationRequested',
      'NotificationRequested',
    ]);
    expect(events[1]).toMatchObject({ data: { level: 'critical', totalMembers: 12, approvedBy: 'admin-2' } });
    expect(events.some((e) => e.type === 'OperatorFrozen')).toBe(false);
  });
});
