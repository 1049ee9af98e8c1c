import type { PermissionGroupV1, PermissionRuleV1, RoleAssignmentV1, RoleV1 } from '@tagguard/contracts';
import { orderedRules } from './matching';
import type { LevelTrace, OverlayTrace, PolicyState, Snapshot } from './model';

/**
 * The policy compiled for checks: rules by resource in permission-tree order, groups by member, assignments
 * by holder. Each part is cached by the identity of the maps it reads (the fold copies a map only when it
 * changes), so a new PolicyState recompiles only what its event touched. Matching semantics stay those of
 * matching.ts; check.spec's property test compares the two.
 */
export type IndexedRule = {
  rule: PermissionRuleV1;
  position: number;
  /** The rule's actions precompiled (matching.actionMatches): every action, exact ones, `<kind>.` prefixes. */
  anyAction: boolean;
  exact: ReadonlySet<string>;
  prefixes: readonly string[];
  /** The rule's subject read off once (D117): SUBJECT_* kind, id, and whether a department covers its subtree. */
  subjectKind: number;
  subjectId: string;
  downward: boolean;
  /** The department level's answer when this rule decides a tag in no permission group; built on first use. */
  decided: { readonly trace: LevelTrace; readonly overlay: null } | null;
  /** The last one-group answer this rule decided and for which group (check.ts keeps the others per plan). */
  groupDecidedFor: string | null;
  groupDecided: { readonly trace: LevelTrace; readonly overlay: OverlayTrace | null } | null;
};

export const SUBJECT_EMPLOYEE = 0;
export const SUBJECT_ROLE = 1;
export const SUBJECT_DEPARTMENT = 2;

/** matching.actionMatches over the rule's actions, without allocating per call. */
export function ruleCoversAction(e: IndexedRule, action: string): boolean {
  if (e.anyAction || e.exact.has(action)) return true;
  for (const p of e.prefixes) if (action.startsWith(p)) return true;
  return false;
}

export type RuleIndex = {
  ordered: readonly PermissionRuleV1[];
  byTag: ReadonlyMap<string, readonly IndexedRule[]>;
  byTagGroup: ReadonlyMap<string, readonly IndexedRule[]>;
  byGroup: ReadonlyMap<string, readonly IndexedRule[]>;
};

export type GroupIndex = {
  byTag: ReadonlyMap<string, readonly string[]>;
  byTagGroup: ReadonlyMap<string, readonly string[]>;
};

/** An assignment as the check reads it: the expiry parsed once (Infinity: none; NaN: unparsable, never live). */
export type Holding = {
  roleId: string;
  expiresAt: number;
  department: boolean;
  includeSubDepartments: boolean;
};

export type AssignmentIndex = {
  byEmployee: ReadonlyMap<string, readonly RoleAssignmentV1[]>;
  byDepartment: ReadonlyMap<string, readonly RoleAssignmentV1[]>;
  /** The same lists as Holdings, in the same order. */
  holdingsByEmployee: ReadonlyMap<string, readonly Holding[]>;
  holdingsByDepartment: ReadonlyMap<string, readonly Holding[]>;
};

export type CompiledPolicy = {
  rules: RuleIndex;
  groups: GroupIndex;
  assignments: AssignmentIndex;
  roles: ReadonlyMap<string, RoleV1>;
  /** check.ts's evaluation plan per tag, kept for this compiled policy (validated against the live tag view). */
  tagPlans: Map<string, unknown>;
};

const ruleCache = new WeakMap<
  ReadonlyMap<string, PermissionRuleV1>,
  { order: readonly string[]; index: RuleIndex }
>();
const groupCache = new WeakMap<ReadonlyMap<string, PermissionGroupV1>, GroupIndex>();
const assignmentCache = new WeakMap<ReadonlyMap<string, RoleAssignmentV1>, AssignmentIndex>();
const compiledCache = new WeakMap<PolicyState, CompiledPolicy>();

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function compileRules(snapshot: Snapshot): RuleIndex {
  const { rules, order } = snapshot.policy;
  const cached = ruleCache.get(rules);
  if (cached && cached.order === order) return cached.index;
  const ordered = orderedRules(snapshot);
  const byTag = new Map<string, IndexedRule[]>();
  const byTagGroup = new Map<string, IndexedRule[]>();
  const byGroup = new Map<string, IndexedRule[]>();
  ordered.forEach((rule, position) => {
    const prefixes = rule.actions.filter((a) => a.endsWith('.*')).map((a) => a.slice(0, -1));
    const s = rule.subject;
    const entry: IndexedRule = {
      rule,
      position,
      anyAction: rule.actions.length === 0 || rule.actions.includes('*'),
      exact: new Set(rule.actions),
      prefixes,
      subjectKind:
        s.kind === 'employee' ? SUBJECT_EMPLOYEE : s.kind === 'role' ? SUBJECT_ROLE : SUBJECT_DEPARTMENT,
      subjectId: s.id,
      downward: s.kind === 'department' && (rule.starred || s.includeSubDepartments),
      decided: null,
      groupDecidedFor: null,
      groupDecided: null,
    };
    const r = rule.resource;
    push(r.kind === 'tag' ? byTag : r.kind === 'tag_group' ? byTagGroup : byGroup, r.id, entry);
  });
  const index = { ordered, byTag, byTagGroup, byGroup };
  ruleCache.set(rules, { order, index });
  return index;
}

function compileGroups(groups: ReadonlyMap<string, PermissionGroupV1>): GroupIndex {
  const cached = groupCache.get(groups);
  if (cached) return cached;
  const byTag = new Map<string, string[]>();
  const byTagGroup = new Map<string, string[]>();
  for (const g of groups.values()) {
    for (const id of new Set(g.tagIds)) push(byTag, id, g.groupId);
    for (const id of new Set(g.tagGroupIds)) push(byTagGroup, id, g.groupId);
  }
  const index = { byTag, byTagGroup };
  groupCache.set(groups, index);
  return index;
}

function compileAssignments(assignments: ReadonlyMap<string, RoleAssignmentV1>): AssignmentIndex {
  const cached = assignmentCache.get(assignments);
  if (cached) return cached;
  const byEmployee = new Map<string, RoleAssignmentV1[]>();
  const byDepartment = new Map<string, RoleAssignmentV1[]>();
  const holdingsByEmployee = new Map<string, Holding[]>();
  const holdingsByDepartment = new Map<string, Holding[]>();
  for (const a of assignments.values()) {
    const employee = a.subject.kind === 'employee';
    push(employee ? byEmployee : byDepartment, a.subject.id, a);
    push(employee ? holdingsByEmployee : holdingsByDepartment, a.subject.id, {
      roleId: a.roleId,
      expiresAt: a.expiresAt === null ? Infinity : Date.parse(a.expiresAt),
      department: a.subject.kind === 'department',
      includeSubDepartments: a.subject.kind === 'department' && a.subject.includeSubDepartments,
    });
  }
  const index = { byEmployee, byDepartment, holdingsByEmployee, holdingsByDepartment };
  assignmentCache.set(assignments, index);
  return index;
}

/** The compiled policy of this snapshot, built once per PolicyState. */
export function compiledPolicy(snapshot: Snapshot): CompiledPolicy {
  const cached = compiledCache.get(snapshot.policy);
  if (cached) return cached;
  const compiled = {
    rules: compileRules(snapshot),
    groups: compileGroups(snapshot.policy.groups),
    assignments: compileAssignments(snapshot.policy.assignments),
    roles: snapshot.policy.roles,
    tagPlans: new Map(),
  };
  compiledCache.set(snapshot.policy, compiled);
  return compiled;
}
