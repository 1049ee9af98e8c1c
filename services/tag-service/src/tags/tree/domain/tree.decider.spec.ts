import {
  base,
  catalogSpec,
  create,
  created,
  group,
  groupBinned,
} from '../../../testing/catalog-decider.fixtures';
import { decideTree } from './tree.decider';

const spec = catalogSpec(decideTree);
const chain = (levels: number) =>
  Array.from({ length: levels }, (_, i) =>
    created(`g${i + 1}`, `level ${i + 1}`, i === 0 ? null : `g${i}`, 'group'),
  );

describe('tree: names and nesting', () => {
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

describe('tree: visibility', () => {
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

describe('tree: a binned node', () => {
  it('given a binned tag, when it is written to, then ALREADY_DELETED', () => {
    spec([...group, groupBinned()])
      .when({ type: 'RenameNode', data: { ...base, nodeId: 't1', name: 'x' } })
      .thenThrows({ code: 'TAG.ALREADY_DELETED' });
  });
});
