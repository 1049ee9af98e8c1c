import type { Department } from '../../domain/directory.model';
import { specFor } from '../../testing/decider-spec';
import { departmentTree, MAX_DEPTH, type DepartmentTreeEvent } from './department-tree.decider';

const dept = (
  departmentId: string,
  parentId: string | null,
  extra: Partial<Department> = {},
): Department => ({
  departmentId,
  name: `d ${departmentId}`,
  parentId,
  order: 0,
  leaderIds: [],
  ...extra,
});
const upserted = (d: Department): DepartmentTreeEvent => ({
  type: 'DepartmentUpserted',
  data: { department: d },
});
const chain = (n: number): DepartmentTreeEvent[] =>
  Array.from({ length: n }, (_, i) => upserted(dept(`l${i + 1}`, i === 0 ? null : `l${i}`)));
const { given } = specFor(departmentTree);

describe('department tree decider', () => {
  it('creates a root and a child', () => {
    given([upserted(dept('1', null))])
      .when({ type: 'UpsertDepartment', data: { department: dept('2', '1', { leaderIds: ['u1'] }) } })
      .then([upserted(dept('2', '1', { leaderIds: ['u1'] }))]);
  });

  it('writes nothing when the department already is as asked (an idempotent upsert)', () => {
    given([upserted(dept('1', null))])
      .when({ type: 'UpsertDepartment', data: { department: dept('1', null) } })
      .then([]);
  });

  it('refuses an unknown parent (NOT_FOUND on parentId)', () => {
    given([])
      .when({ type: 'UpsertDepartment', data: { department: dept('2', '9') } })
      .thenFails('DIRECTORY.NOT_FOUND', 'parentId');
  });

  it('refuses a move under its own subtree (a cycle)', () => {
    given([upserted(dept('1', null)), upserted(dept('2', '1')), upserted(dept('3', '2'))])
      .when({ type: 'MoveDepartment', data: { departmentId: '1', parentId: '3' } })
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'parentId');
  });

  it(`allows ${MAX_DEPTH} levels and refuses a 16th`, () => {
    given(chain(MAX_DEPTH - 1))
      .when({ type: 'UpsertDepartment', data: { department: dept('x', `l${MAX_DEPTH - 1}`) } })
      .then([upserted(dept('x', `l${MAX_DEPTH - 1}`))]);
    given(chain(MAX_DEPTH))
      .when({ type: 'UpsertDepartment', data: { department: dept('x', `l${MAX_DEPTH}`) } })
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'parentId');
  });

  it('counts the moved subtree in the depth', () => {
    given([
      ...chain(10),
      upserted(dept('a', null)),
      ...[1, 2, 3, 4, 5].map((i) => upserted(dept(`a${i}`, i === 1 ? 'a' : `a${i - 1}`))),
    ])
      .when({ type: 'MoveDepartment', data: { departmentId: 'a', parentId: 'l10' } })
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'parentId');
  });

  it('moves a department and keeps its order unless told', () => {
    given([upserted(dept('1', null)), upserted(dept('2', null)), upserted(dept('3', '1', { order: 7 }))])
      .when({ type: 'MoveDepartment', data: { departmentId: '3', parentId: '2' } })
      .then([upserted(dept('3', '2', { order: 7 }))]);
  });

  it('removes a leaf, refuses a department with children', () => {
    given([upserted(dept('1', null)), upserted(dept('2', '1'))])
      .when({ type: 'RemoveDepartment', data: { departmentId: '2' } })
      .then([{ type: 'DepartmentRemoved', data: { departmentId: '2' } }]);
    given([upserted(dept('1', null)), upserted(dept('2', '1'))])
      .when({ type: 'RemoveDepartment', data: { departmentId: '1' } })
      .thenFails('DIRECTORY.FAILED_PRECONDITION', 'departmentId');
  });

  it('names the field of bad input', () => {
    given([])
      .when({ type: 'UpsertDepartment', data: { department: dept('1', null, { name: '  ' }) } })
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'name');
    given([])
      .when({ type: 'UpsertDepartment', data: { department: dept('1', null, { leaderIds: ['a', 'a'] }) } })
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'leaderIds');
  });

  it("keeps each department's own revision", () => {
    const tree = [
      upserted(dept('1', null)),
      upserted(dept('2', null)),
      upserted(dept('1', null, { order: 3 })),
    ].reduce((s, e, i) => departmentTree.evolve(s, e, i), departmentTree.initialState());
    expect(departmentTree.revisionOf({ type: 'RemoveDepartment', data: { departmentId: '1' } }, tree)).toBe(
      2,
    );
    expect(departmentTree.revisionOf({ type: 'RemoveDepartment', data: { departmentId: '2' } }, tree)).toBe(
      1,
    );
  });
});
