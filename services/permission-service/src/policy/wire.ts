import type {
  FreezeV1,
  PermissionGroupV1,
  PermissionRuleV1,
  PolicyResourceV1,
  PolicySubjectV1,
  RoleAssignmentV1,
  RoleV1,
  SensitiveWordV1,
} from '@tagguard/contracts';
import { checkV1, policyV1 } from '@tagguard/contracts';
import type { Decision, ExpandNode, LevelOutcome } from '@tagguard/permission-engine';
import { invalid } from './domain/policy.errors';

// proto ↔ domain, both ways, in one place.

type Stored<T> = T & { revision: string };

export function subjectIn(s: policyV1.Subject | undefined): PolicySubjectV1 | undefined {
  if (!s) return undefined;
  if (s.employeeId !== undefined) return { kind: 'employee', id: s.employeeId };
  if (s.roleId !== undefined) return { kind: 'role', id: s.roleId };
  if (s.department !== undefined)
    return {
      kind: 'department',
      id: s.department.departmentId,
      includeSubDepartments: s.department.includeSubDepartments,
    };
  return undefined;
}

export function subjectOut(s: PolicySubjectV1): policyV1.Subject {
  switch (s.kind) {
    case 'employee':
      return { employeeId: s.id };
    case 'role':
      return { roleId: s.id };
    case 'department':
      return { department: { departmentId: s.id, includeSubDepartments: s.includeSubDepartments } };
  }
}

export function resourceIn(r: policyV1.Resource | undefined): PolicyResourceV1 | undefined {
  if (!r) return undefined;
  if (r.tagId !== undefined) return { kind: 'tag', id: r.tagId };
  if (r.tagGroupId !== undefined) return { kind: 'tag_group', id: r.tagGroupId };
  if (r.permissionGroupId !== undefined) return { kind: 'permission_group', id: r.permissionGroupId };
  return undefined;
}

export function resourceOut(r: PolicyResourceV1): policyV1.Resource {
  switch (r.kind) {
    case 'tag':
      return { tagId: r.id };
    case 'tag_group':
      return { tagGroupId: r.id };
    case 'permission_group':
      return { permissionGroupId: r.id };
  }
}

const E = policyV1.RuleEffect;
export function effectIn(e: policyV1.RuleEffect): 'grant' | 'deny' {
  if (e === E.RULE_EFFECT_GRANT) return 'grant';
  if (e === E.RULE_EFFECT_DENY) return 'deny';
  throw invalid('effect', 'must be RULE_EFFECT_GRANT or RULE_EFFECT_DENY');
}

export const toRole = (r: Stored<RoleV1>): policyV1.Role => ({
  roleId: r.roleId,
  name: r.name,
  scopes: r.scopes,
  revision: r.revision,
});

export const toAssignment = (a: Stored<RoleAssignmentV1>): policyV1.RoleAssignment => ({
  assignmentId: a.assignmentId,
  roleId: a.roleId,
  subject: subjectOut(a.subject),
  expiresAt: a.expiresAt ?? '',
  revision: a.revision,
});

export const toGroup = (g: Stored<PermissionGroupV1>): policyV1.PermissionGroup => ({
  groupId: g.groupId,
  name: g.name,
  tagIds: g.tagIds,
  tagGroupIds: g.tagGroupIds,
  revision: g.revision,
});

export const toRule = (r: Stored<PermissionRuleV1>, position: number): policyV1.Rule => ({
  ruleId: r.ruleId,
  effect: r.effect === 'grant' ? E.RULE_EFFECT_GRANT : E.RULE_EFFECT_DENY,
  subject: subjectOut(r.subject),
  resource: resourceOut(r.resource),
  actions: r.actions,
  starred: r.starred,
  description: r.description,
  revision: r.revision,
  position,
});

export const toWord = (w: Stored<SensitiveWordV1>): policyV1.SensitiveWord => ({
  wordId: w.wordId,
  word: w.word,
  category: w.category,
  fields: w.fields,
  revision: w.revision,
});

export const toFreeze = (f: Stored<FreezeV1>): policyV1.ActorFreeze => ({
  actorId: f.actorId,
  source:
    f.source === 'tag-service'
      ? policyV1.FreezeSource.FREEZE_SOURCE_TAG_SERVICE
      : policyV1.FreezeSource.FREEZE_SOURCE_MANUAL,
  reason: f.reason,
  until: f.until ?? '',
  revision: f.revision,
});

const O = checkV1.Outcome;
const OUTCOME: Record<LevelOutcome, checkV1.Outcome> = {
  allow: O.OUTCOME_ALLOW,
  deny: O.OUTCOME_DENY,
  not_applicable: O.OUTCOME_NOT_APPLICABLE,
  masked: O.OUTCOME_MASKED,
};

export const toDecision = (d: Decision): checkV1.Decision => ({
  allowed: d.allowed,
  maskedFields: [...d.maskedFields],
  levels: d.levels.map((l) => ({
    level: l.level,
    outcome: OUTCOME[l.outcome],
    decidedBy: [...l.decidedBy],
    reason: l.reason,
  })),
  overlay: d.overlay
    ? {
        groups: d.overlay.groups.map((g) => ({
          groupId: g.groupId,
          outcome: OUTCOME[g.outcome],
          ruleId: g.ruleId ?? '',
        })),
        outcome: OUTCOME[d.overlay.outcome],
      }
    : undefined,
  snapshot: d.snapshot.toString(),
});

export function toExpandNode(n: ExpandNode): checkV1.ExpandNode {
  const node: checkV1.ExpandNode = {
    kind: n.kind,
    label: 'label' in n ? n.label : '',
    children: [],
    groupId: '',
    rules: [],
    roleId: '',
    scopes: [],
    holders: [],
    visibility: undefined,
    ids: [],
  };
  switch (n.kind) {
    case 'all_of':
    case 'any_of':
      return { ...node, children: n.children.map(toExpandNode) };
    case 'first_match':
      return {
        ...node,
        groupId: n.groupId ?? '',
        rules: n.rules.map((r) => ({
          ruleId: r.ruleId,
          position: r.position,
          effect: r.effect === 'grant' ? E.RULE_EFFECT_GRANT : E.RULE_EFFECT_DENY,
          subject: subjectOut(r.subject),
          starred: r.starred,
          actions: [...r.actions],
        })),
      };
    case 'role':
      return {
        ...node,
        roleId: n.roleId,
        scopes: [...n.scopes],
        holders: n.holders.map((h) => ({
          assignmentId: h.assignmentId,
          subject: subjectOut(h.subject),
          expiresAt: h.expiresAt ?? '',
        })),
      };
    case 'visibility':
      return {
        ...node,
        visibility: {
          tagId: n.tagId,
          restricted: n.visibility.restricted,
          departments: n.visibility.departments.map((d) => ({ ...d })),
          roles: [...n.visibility.roles],
          memberIds: [...n.visibility.memberIds],
        },
      };
    case 'leaf':
      return { ...node, ids: [...n.ids] };
  }
}
