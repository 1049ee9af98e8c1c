import fc from 'fast-check';
import { PersistentMap } from './persistent-map';
import {
  evolveCatalog,
  initialCatalogState,
  siblingNamed,
  type TagCatalogState,
  type TagNode,
} from './tag-catalog.state';
import { VISIBLE_TO_EVERYONE, type TagCatalogEvent } from './tag-catalog.events';
import { normalizeTagName } from './tag-name';

/** What `nodes` held when every event copied a Map (the evolve this state replaced), for these events. */
function referenceNodes(events: TagCatalogEvent[]): Map<string, TagNode> {
  const nodes = new Map<string, TagNode>();
  const touch = (id: string, change: Partial<TagNode>) => {
    const node = nodes.get(id);
    if (node) nodes.set(id, { ...node, ...change, revision: node.revision + 1 });
  };
  for (const e of events)
    if (e.type === 'NodeCreated')
      nodes.set(e.data.nodeId, {
        ...e.data,
        visibility: VISIBLE_TO_EVERYONE,
        sensitive: false,
        protected: false,
        status: 'active',
        revision: 0,
      });
    else if (e.type === 'NodeRenamed') touch(e.data.nodeId, { name: e.data.name });
    else if (e.type === 'NodeMoved') touch(e.data.nodeId, { parentId: e.data.parentId, order: e.data.order });
    else if (e.type === 'NodesBinned') {
      const { rootId, deletedBy, deletedAt, purgeDueAt } = e.data;
      for (const id of e.data.nodeIds)
        touch(id, { status: 'binned', bin: { rootId, deletedBy, deletedAt, purgeDueAt } });
    } else if (e.type === 'NodesRestored')
      for (const id of e.data.nodeIds) touch(id, { status: 'active', bin: undefined });
    else if (e.type === 'NodesPurged') for (const id of e.data.nodeIds) touch(id, { status: 'purged' });
    else if (e.type === 'NodeStateRestored') {
      const { node, status, bin } = e.data;
      const previous = nodes.get(node.nodeId);
      nodes.set(node.nodeId, {
        ...node,
        status,
        revision: previous ? previous.revision + 1 : 0,
        ...(bin ? { bin } : {}),
      });
    }
  return nodes;
}

function scanSibling(nodes: Iterable<TagNode>, parentId: string | null, name: string, exceptId?: string) {
  for (const node of nodes)
    if (
      node.parentId === parentId &&
      node.status === 'active' &&
      node.nodeId !== exceptId &&
      normalizeTagName(node.name) === normalizeTagName(name)
    )
      return node;
  return undefined;
}

const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
const parents = fc.constantFrom(null, 'a', 'b');
const names = fc.constantFrom('VIP', 'ｖｉｐ', 'vip ', '意向', 'x');
const event: fc.Arbitrary<TagCatalogEvent> = fc.oneof(
  fc.record({ id: fc.constantFrom(...ids), parent: parents, name: names }).map(
    ({ id, parent, name }) =>
      ({
        type: 'NodeCreated',
        data: {
          nodeId: id,
          nodeType: 'tag',
          kind: 'customer',
          name,
          parentId: parent,
          order: 0,
          description: '',
        },
      }) as TagCatalogEvent,
  ),
  fc
    .record({ id: fc.constantFrom(...ids), name: names })
    .map(
      ({ id, name }) =>
        ({ type: 'NodeRenamed', data: { nodeId: id, name, previousName: '' } }) as TagCatalogEvent,
    ),
  fc.record({ id: fc.constantFrom(...ids), parent: parents }).map(
    ({ id, parent }) =>
      ({
        type: 'NodeMoved',
        data: { nodeId: id, parentId: parent, previousParentId: null, order: 1 },
      }) as TagCatalogEvent,
  ),
  fc
    .record({ some: fc.subarray(ids), type: fc.constantFrom('NodesRestored', 'NodesPurged') })
    .map(
      ({ some, type }) =>
        ({ type, data: { nodeIds: some, rootId: some[0] ?? 'a' } }) as unknown as TagCatalogEvent,
    ),
  fc.record({ id: fc.constantFrom(...ids), parent: parents, name: names, binned: fc.boolean() }).map(
    ({ id, parent, name, binned }) =>
      ({
        type: 'NodeStateRestored',
        data: {
          restoreId: 'r',
          asOf: 't',
          node: {
            nodeId: id,
            nodeType: 'tag',
            kind: 'customer',
            name,
            parentId: parent,
            order: 2,
            description: '',
            visibility: VISIBLE_TO_EVERYONE,
            sensitive: false,
            protected: false,
          },
          status: binned ? 'binned' : 'active',
          bin: binned ? { rootId: id, deletedBy: 'u', deletedAt: 't', purgeDueAt: 't' } : null,
        },
      }) as TagCatalogEvent,
  ),
  fc.subarray(ids).map(
    (some) =>
      ({
        type: 'NodesBinned',
        data: { nodeIds: some, rootId: 'a', deletedBy: 'u', deletedAt: 't', purgeDueAt: 't' },
      }) as unknown as TagCatalogEvent,
  ),
);

describe('catalogue state: nodes shared between states, and the sibling-name index', () => {
  it('property: after any events, and for every earlier state still held and any branch taken from it, nodes and siblingNamed are what copying Maps and scanning gave', () => {
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 40 }),
        fc.array(fc.tuple(fc.nat(40), fc.array(event, { maxLength: 8 })), { maxLength: 4 }),
        fc.constantFrom(null, 'a', 'b'),
        names,
        fc.constantFrom(undefined, ...ids),
        (events, branches, parentId, name, exceptId) => {
          const states = events.reduce<TagCatalogState[]>(
            (all, e) => [...all, evolveCatalog(all[all.length - 1]!, e)],
            [initialCatalogState()],
          );
          // Branches from earlier states (a decision evolved and not appended) must leave every state intact.
          const held = states.map((state, i) => ({ state, events: events.slice(0, i) }));
          for (const [at, more] of branches) {
            const from = held[at % held.length]!;
            held.push({ state: more.reduce(evolveCatalog, from.state), events: [...from.events, ...more] });
          }
          for (const { state, events: applied } of held) {
            const reference = referenceNodes(applied);
            expect([...state.nodes]).toEqual([...reference]);
            expect(siblingNamed(state, parentId, name, exceptId)).toEqual(
              scanSibling(reference.values(), parentId, name, exceptId),
            );
          }
        },
      ),
    );
  });
});

describe('PersistentMap', () => {
  it('given a map, when keys are set on it and on an older copy, then each copy keeps its own entries in insertion order', () => {
    const empty = PersistentMap.empty<string, number>();
    const many = Array.from({ length: 200 }, (_, i) => String(i)).reduce((m, k, i) => m.set(k, i), empty);
    const updated = many.set('7', -7);
    const grown = many.set('new', 1);
    const other = many.set('other', 2);
    expect(many.get('7')).toBe(7);
    expect(updated.get('7')).toBe(-7);
    expect([...grown.keys()].slice(-2)).toEqual(['199', 'new']);
    expect(grown.has('other')).toBe(false);
    expect(other.has('new')).toBe(false);
    expect(other.get('other')).toBe(2);
    expect(other.indexOf('other')).toBe(200);
    expect(many.size).toBe(200);
    expect([
      ...PersistentMap.from([
        ['x', 1],
        ['y', 2],
        ['x', 3],
      ]),
    ]).toEqual([
      ['x', 3],
      ['y', 2],
    ]);
  });
});
