import type { PermissionGroupV1, PermissionRuleV1, RoleAssignmentV1, RoleV1 } from '@tagguard/contracts';
import type { Snapshot, TagFacts } from '../../model';
import { emptyPolicy } from '../../policy-fold';
import type { AnalysisInput } from '../universe';

/** A small in-memory tenant for specs: parents by id, employees' departments, the rules in tree order. */
export type TenantSpec = {
  tenantId?: string;
  departments: Record<string, string | null>;
  employees: Record<string, string[]>;
  /** Tag id → parent tag group (null: top level); a tag with children is a group. */
  tags: Record<string, string | null>;
  rules: PermissionRuleV1[];
  groups?: PermissionGroupV1[];
  roles?: RoleV1[];
  assignments?: RoleAssignmentV1[];
};

export function buildInput(spec: TenantSpec, at = Date.parse('2026-12-01T12:00:00Z')): AnalysisInput {
  const parents = new Set(Object.values(spec.tags).filter((p): p is string => p !== null));
  const tagFacts = new Map<string, TagFacts>(
    Object.entries(spec.tags).map(([tagId, parentId]) => [
      tagId,
      {
        tagId,
        kind: 'customer',
        isGroup: parents.has(tagId),
        parentId,
        visibility: { restricted: false, departments: [], roles: [], memberIds: [] },
        sensitive: false,
      },
    ]),
  );
  const snapshot: Snapshot = {
    policy: {
      ...emptyPolicy(spec.tenantId ?? 'acme'),
      rules: new Map(spec.rules.map((r) => [r.ruleId, r])),
      order: spec.rules.map((r) => r.ruleId),
      groups: new Map((spec.groups ?? []).map((g) => [g.groupId, g])),
      roles: new Map((spec.roles ?? []).map((r) => [r.roleId, r])),
      assignments: new Map((spec.assignments ?? []).map((a) => [a.assignmentId, a])),
      position: 42n,
    },
    directory: {
      mirrored: true,
      parentOf: (id) => (id in spec.departments ? spec.departments[id]! : undefined),
      employee: (id) =>
        spec.employees[id] ? { departmentIds: spec.employees[id]!, status: 'active' } : undefined,
    },
    tags: { tag: (id) => tagFacts.get(id) },
  };
  return { snapshot, employeeIds: Object.keys(spec.employees), tagIds: Object.keys(spec.tags), at };
}

export function rule(
  ruleId: string,
  effect: PermissionRuleV1['effect'],
  subject: PermissionRuleV1['subject'],
  resource: PermissionRuleV1['resource'],
  options: { starred?: boolean; actions?: string[]; description?: string } = {},
): PermissionRuleV1 {
  return {
    ruleId,
    effect,
    subject,
    resource,
    actions: options.actions ?? [],
    starred: options.starred ?? false,
    description: options.description ?? '',
    removed: false,
  };
}
