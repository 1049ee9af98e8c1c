import type { Department } from '../../domain/directory.model';
import { DirectoryError, invalid } from '../../domain/directory.errors';
import type { Decider } from '../../domain/decider';
import { idOf, idsOf, nameOf, sameValue } from '../../domain/directory-rules';

/** WeCom's limit: a department tree is at most 15 levels deep (a root is level 1). */
export const MAX_DEPTH = 15;

export type DepartmentTreeEvent =
  | { type: 'DepartmentUpserted'; data: { department: Department } }
  | { type: 'DepartmentRemoved'; data: { departmentId: string } };

export type DepartmentTreeCommand =
  | { type: 'UpsertDepartment'; data: { department: Department } }
  | { type: 'MoveDepartment'; data: { departmentId: string; parentId: string | null; order?: number } }
  | { type: 'RemoveDepartment'; data: { departmentId: string } };

/** One tenant's whole tree (one stream), so that depth and cycle checks see every department. */
export type DepartmentTree = {
  departments: Record<string, Department>;
  /** The tree revision each department was last changed at: its own revision. */
  revisions: Record<string, number>;
};

const children = (tree: DepartmentTree, id: string): string[] =>
  Object.values(tree.departments)
    .filter((d) => d.parentId === id)
    .map((d) => d.departmentId);

/** Levels from the root down to `id` (a root is 1). */
function depthOf(tree: DepartmentTree, id: string): number {
  let depth = 0;
  for (let at: string | null = id; at !== null; at = tree.departments[at]?.parentId ?? null) depth++;
  return depth;
}

/** Levels of the subtree under `id`, `id` included. */
function heightOf(tree: DepartmentTree, id: string): number {
  return 1 + Math.max(0, ...children(tree, id).map((c) => heightOf(tree, c)));
}

function isAncestorOrSelf(tree: DepartmentTree, ancestor: string, id: string | null): boolean {
  for (let at = id; at !== null; at = tree.departments[at]?.parentId ?? null)
    if (at === ancestor) return true;
  return false;
}

function validDepartment(d: Department): Department {
  const departmentId = idOf(d.departmentId, 'departmentId');
  if (!Number.isSafeInteger(d.order) || d.order < 0 || d.order > 2 ** 32)
    throw invalid('order', 'must be a whole number from 0 to 2^32');
  return {
    departmentId,
    name: nameOf(d.name, 'name'),
    parentId: d.parentId === null || d.parentId === '' ? null : idOf(d.parentId, 'parentId'),
    order: d.order,
    leaderIds: idsOf(d.leaderIds, 'leaderIds'),
  };
}

/** Where `department` may sit: its parent exists, is not inside its own subtree, and the depth holds. */
function placeable(tree: DepartmentTree, department: Department): void {
  const { departmentId, parentId } = department;
  if (parentId === null) {
    if (tree.departments[departmentId] && heightOf(tree, departmentId) > MAX_DEPTH)
      throw invalid('parentId', `the tree would be deeper than ${MAX_DEPTH} levels`);
    return;
  }
  if (!tree.departments[parentId])
    throw new DirectoryError(
      'DIRECTORY.NOT_FOUND',
      `parent department ${parentId} does not exist`,
      'parentId',
    );
  if (isAncestorOrSelf(tree, departmentId, parentId))
    throw invalid('parentId', `${parentId} is ${departmentId} or inside it: that would be a cycle`);
  const height = tree.departments[departmentId] ? heightOf(tree, departmentId) : 1;
  if (depthOf(tree, parentId) + height > MAX_DEPTH)
    throw invalid('parentId', `the tree would be deeper than ${MAX_DEPTH} levels`);
}

function existing(tree: DepartmentTree, departmentId: string): Department {
  const d = tree.departments[departmentId];
  if (!d)
    throw new DirectoryError(
      'DIRECTORY.NOT_FOUND',
      `department ${departmentId} does not exist`,
      'departmentId',
    );
  return d;
}

export const departmentTree: Decider<DepartmentTree, DepartmentTreeCommand, DepartmentTreeEvent> = {
  initialState: () => ({ departments: {}, revisions: {} }),

  evolve(tree, event, revision) {
    switch (event.type) {
      case 'DepartmentUpserted': {
        const id = event.data.department.departmentId;
        return {
          departments: { ...tree.departments, [id]: event.data.department },
          revisions: { ...tree.revisions, [id]: revision },
        };
      }
      case 'DepartmentRemoved': {
        const { [event.data.departmentId]: _d, ...departments } = tree.departments;
        const { [event.data.departmentId]: _r, ...revisions } = tree.revisions;
        return { departments, revisions };
      }
    }
  },

  decide(command, tree) {
    switch (command.type) {
      case 'UpsertDepartment': {
        const department = validDepartment(command.data.department);
        if (sameValue(tree.departments[department.departmentId], department)) return [];
        placeable(tree, department);
        return [{ type: 'DepartmentUpserted', data: { department } }];
      }
      case 'MoveDepartment': {
        const current = existing(tree, command.data.departmentId);
        const moved = validDepartment({
          ...current,
          parentId: command.data.parentId,
          order: command.data.order ?? current.order,
        });
        if (sameValue(current, moved)) return [];
        placeable(tree, moved);
        return [{ type: 'DepartmentUpserted', data: { department: moved } }];
      }
      case 'RemoveDepartment': {
        const id = command.data.departmentId;
        if (!tree.departments[id]) return [];
        const under = children(tree, id);
        if (under.length > 0)
          throw new DirectoryError(
            'DIRECTORY.FAILED_PRECONDITION',
            `department ${id} still has child departments (${under.slice(0, 5).join(', ')})`,
            'departmentId',
          );
        return [{ type: 'DepartmentRemoved', data: { departmentId: id } }];
      }
      default: {
        const unknown: never = command;
        throw new Error(`unknown command ${JSON.stringify(unknown)}`);
      }
    }
  },

  revisionOf: (command, tree) =>
    tree.revisions[
      command.type === 'UpsertDepartment' ? command.data.department.departmentId : command.data.departmentId
    ] ?? -1,
};
