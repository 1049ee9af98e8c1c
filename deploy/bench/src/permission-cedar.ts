import type { EntityJson } from '@cedar-policy/cedar-wasm/nodejs';
import type { PolicyResourceV1, PolicySubjectV1 } from '@tagguard/contracts';
import type { BenchRequest, PermissionTenant } from './permission-tenant';

/**
 * The conflict-free bench tenant as a Cedar policy set and per-request entity slices. Translation:
 * - level 1 passes when no rule applies, and in a conflict-free set the first applicable rule is a deny iff
 *   any applicable rule is: so `permit(principal, action, resource)` for the default, one `forbid` per deny
 *   rule, and one `permit` per grant rule (they never change a decision here, but keep Cedar evaluating the
 *   same 5,000 rules);
 * - starred department subjects and starred tag group resources are Cedar's transitive `in` over
 *   Employee → Department → Department and Tag → Tag (parent group) → PermissionGroup; an employee subject
 *   is `==`, a role subject `in Role` (department assignments make the department a member of the role);
 * - role scope is one `forbid … unless` listing, per action, the roles whose scopes cover it;
 * - tag visibility is one `forbid … when { resource.restricted && !(principal in resource.viewers) }`
 *   (viewers: the listed departments, sub-departments included, and member ids; the bench restricts leaf
 *   tags only). tenant_admin, freezes and sensitive words are not part of the bench's requests.
 */
const uid = (type: string, id: string) => ({ type, id });
const q = (s: string) => JSON.stringify(s);

function subjectScope(s: PolicySubjectV1): string {
  switch (s.kind) {
    case 'employee':
      return `principal == Employee::${q(s.id)}`;
    case 'department':
      return `principal in Department::${q(s.id)}`;
    case 'role':
      return `principal in Role::${q(s.id)}`;
  }
}

function resourceScope(r: PolicyResourceV1): string {
  switch (r.kind) {
    case 'tag':
      return `resource == Tag::${q(r.id)}`;
    case 'tag_group':
      return `resource in Tag::${q(r.id)}`;
    case 'permission_group':
      return `resource in PermissionGroup::${q(r.id)}`;
  }
}

function actionScope(actions: readonly string[]): string {
  if (actions.length === 0) return 'action';
  if (actions.length === 1) return `action in Action::${q(actions[0]!)}`;
  return `action in [${actions.map((a) => `Action::${q(a)}`).join(', ')}]`;
}

export function cedarPolicies(tenant: PermissionTenant, actions: readonly string[]): string {
  const out = ['permit(principal, action, resource);'];
  for (const rule of tenant.rules) {
    out.push(
      `${rule.effect === 'grant' ? 'permit' : 'forbid'}(${subjectScope(rule.subject)}, ${actionScope(rule.actions)}, ${resourceScope(rule.resource)});`,
    );
  }
  const covers = (scope: string, action: string) =>
    scope === '*' || scope === action || (scope.endsWith('.*') && action.startsWith(scope.slice(0, -1)));
  const perAction = actions.map((action) => {
    const roles = [...tenant.roleScopes]
      .filter(([, scopes]) => scopes.some((s) => covers(s, action)))
      .map(([id]) => id);
    return `(action == Action::${q(action)} && principal in [${roles.map((r) => `Role::${q(r)}`).join(', ')}])`;
  });
  out.push(`forbid(principal, action, resource) unless { ${perAction.join(' || ')} };`);
  out.push(
    'forbid(principal, action, resource) when { resource.restricted && !(principal in resource.viewers) };',
  );
  return out.join('\n');
}

/** The entities a Cedar request needs: the employee's department chain with roles, the tag's path with groups. */
export function cedarEntities(
  tenant: PermissionTenant,
  index: CedarIndex,
  request: BenchRequest,
): EntityJson[] {
  const entities: EntityJson[] = [];
  const employee = index.employees.get(request.employeeId)!;
  entities.push({
    uid: uid('Employee', request.employeeId),
    attrs: {},
    parents: [
      uid('Department', employee),
      ...(tenant.employeeRoles.get(request.employeeId) ?? []).map((r) => uid('Role', r)),
    ],
  });
  for (let d: string | null = employee; d; d = index.departmentParent.get(d) ?? null) {
    const parent = index.departmentParent.get(d) ?? null;
    entities.push({
      uid: uid('Department', d),
      attrs: {},
      parents: [
        ...(parent ? [uid('Department', parent)] : []),
        ...(tenant.departmentRoles.get(d) ?? []).map((r) => uid('Role', r)),
      ],
    });
  }
  for (let t: string | null = request.tagId; t; t = index.tagParent.get(t) ?? null) {
    const parent = index.tagParent.get(t) ?? null;
    const v = tenant.visibility.get(t);
    entities.push({
      uid: uid('Tag', t),
      attrs: {
        restricted: !!v,
        viewers: v
          ? [
              ...v.departments.map((d) => ({ __entity: uid('Department', d) })),
              ...v.memberIds.map((m) => ({ __entity: uid('Employee', m) })),
            ]
          : [],
      },
      parents: [
        ...(parent ? [uid('Tag', parent)] : []),
        ...(index.tagGroups.get(t) ?? []).map((g) => uid('PermissionGroup', g)),
      ],
    });
  }
  entities.push({
    uid: uid('Action', request.action),
    attrs: {},
    parents: [uid('Action', `${request.action.split('.')[0]}.*`)],
  });
  return entities;
}

export type CedarIndex = {
  employees: Map<string, string>;
  departmentParent: Map<string, string | null>;
  tagParent: Map<string, string | null>;
  tagGroups: Map<string, string[]>;
};

export function cedarIndex(tenant: PermissionTenant): CedarIndex {
  const tagGroups = new Map<string, string[]>();
  for (const g of tenant.groups)
    for (const id of [...g.tagIds, ...g.tagGroupIds]) tagGroups.set(id, [...(tagGroups.get(id) ?? []), g.id]);
  return {
    employees: new Map(tenant.employees.map((e) => [e.id, e.department])),
    departmentParent: new Map(tenant.departments.map((d) => [d.id, d.parent])),
    tagParent: new Map(tenant.tags.map((t) => [t.id, t.parent])),
    tagGroups,
  };
}
