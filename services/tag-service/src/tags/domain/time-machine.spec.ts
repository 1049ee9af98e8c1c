import type { MemberRef, TagCatalogEvent } from './tag-catalog.events';
import { evolveCatalog, initialCatalogState } from './tag-catalog.state';
import { diffTrees, planRestore, scopeOf, type TreeView } from './time-machine';

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
