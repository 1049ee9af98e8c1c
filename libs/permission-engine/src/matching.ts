import type { PermissionActionV1, PermissionRuleV1, PolicyResourceV1 } from '@tagguard/contracts';
import type { CheckSubject, DirectoryView, Snapshot, TagView } from './model';

/**
 * The matching primitives every part of the engine shares (check, lookups, conflict analysis), so a
 * rule "applies" in exactly one sense everywhere.
 */

const MAX_DEPTH = 64; // guards a cyclic copy; WeCom allows 15 department levels, tag-service 5 tag levels

/** The department and its ancestors, nearest first. An unknown department yields itself only. */
export function departmentChain(directory: DirectoryView, departmentId: string): string[] {
  const chain = [departmentId];
  let current: string | null | undefined = directory.parentOf(departmentId);
  while (current && chain.length < MAX_DEPTH && !chain.includes(current)) {
    chain.push(current);
    current = directory.parentOf(current);
  }
  return chain;
}

/** The tag's ancestors (tag groups), nearest first, without the tag itself. */
export function tagAncestors(tags: TagView, tagId: string): string[] {
  const out: string[] = [];
  let current = tags.tag(tagId)?.parentId ?? null;
  while (current && out.length < MAX_DEPTH && !out.includes(current)) {
    out.push(current);
    current = tags.tag(current)?.parentId ?? null;
  }
  return out;
}

/** `*`, an exact action, or `<kind>.*`. */
export function actionMatches(pattern: PermissionActionV1, action: PermissionActionV1): boolean {
  if (pattern === '*' || pattern === action) return true;
  return pattern.endsWith('.*') && action.startsWith(pattern.slice(0, -1));
}

/** Is `departmentId` the department itself or (when `downward`) one of its sub-departments' ancestors? */
function inDepartment(
  directory: DirectoryView,
  employeeDepartments: readonly string[],
  departmentId: string,
  downward: boolean,
): boolean {
  for (const d of employeeDepartments) {
    if (d === departmentId) return true;
    if (downward && departmentChain(directory, d).includes(departmentId)) return true;
  }
  return false;
}

/** The role ids the subject holds at `at`: unexpired assignments (direct or by department) and token roles. */
export function rolesOf(snapshot: Snapshot, subject: CheckSubject, at: number): Set<string> {
  const roles = new Set<string>(subject.tokenRoles);
  const employee = snapshot.directory.employee(subject.employeeId);
  for (const a of snapshot.policy.assignments.values()) {
    if (!snapshot.policy.roles.has(a.roleId)) continue;
    if (a.expiresAt !== null && Date.parse(a.expiresAt) <= at) continue;
    const s = a.subject;
    const holds =
      s.kind === 'employee'
        ? s.id === subject.employeeId
        : !!employee &&
          inDepartment(snapshot.directory, employee.departmentIds, s.id, s.includeSubDepartments);
    if (holds) roles.add(a.roleId);
  }
  return roles;
}

/**
 * Does the rule's subject cover this caller? A department subject covers its sub-departments' employees
 * when the rule is starred (inherits downward) or says includeSubDepartments.
 */
export function ruleSubjectCovers(
  snapshot: Snapshot,
  rule: PermissionRuleV1,
  subject: CheckSubject,
  roles: ReadonlySet<string>,
): boolean {
  const s = rule.subject;
  switch (s.kind) {
    case 'employee':
      return s.id === subject.employeeId;
    case 'role':
      return roles.has(s.id);
    case 'department': {
      const employee = snapshot.directory.employee(subject.employeeId);
      return (
        !!employee &&
        inDepartment(
          snapshot.directory,
          employee.departmentIds,
          s.id,
          rule.starred || s.includeSubDepartments,
        )
      );
    }
  }
}

/** The permission groups the tag belongs to: listed directly, or below one of the group's tag groups. */
export function groupsOfTag(snapshot: Snapshot, tagId: string): string[] {
  const ancestors = tagAncestors(snapshot.tags, tagId);
  const out: string[] = [];
  for (const g of snapshot.policy.groups.values()) {
    if (g.tagIds.includes(tagId) || g.tagGroupIds.some((id) => id === tagId || ancestors.includes(id)))
      out.push(g.groupId);
  }
  return out.sort();
}

/**
 * Does the resource cover the tag? A tag group covers its direct children, or every tag below it when
 * the rule is starred; a permission group covers what groupsOfTag says.
 */
export function ruleResourceCovers(
  snapshot: Snapshot,
  resource: PolicyResourceV1,
  starred: boolean,
  tagId: string,
): boolean {
  switch (resource.kind) {
    case 'tag':
      return resource.id === tagId;
    case 'tag_group': {
      if (resource.id === tagId) return true;
      const ancestors = tagAncestors(snapshot.tags, tagId);
      return starred ? ancestors.includes(resource.id) : ancestors[0] === resource.id;
    }
    case 'permission_group': {
      const g = snapshot.policy.groups.get(resource.id);
      if (!g) return false;
      if (g.tagIds.includes(tagId)) return true;
      const ancestors = tagAncestors(snapshot.tags, tagId);
      return g.tagGroupIds.some((id) => id === tagId || ancestors.includes(id));
    }
  }
}

/** The rules in permission-tree order (top first): `order`, then any rule missing from it, by id. */
export function orderedRules(snapshot: Snapshot): PermissionRuleV1[] {
  const { rules, order } = snapshot.policy;
  const seen = new Set<string>();
  const out: PermissionRuleV1[] = [];
  for (const id of order) {
    const r = rules.get(id);
    if (r && !seen.has(id)) {
      out.push(r);
      seen.add(id);
    }
  }
  for (const id of [...rules.keys()].sort()) if (!seen.has(id)) out.push(rules.get(id)!);
  return out;
}
