import { ACTIONS_V1, type PermissionRuleV1 } from '@tagguard/contracts';
import {
  actionMatches,
  departmentChain,
  orderedRules,
  rolesOf,
  ruleResourceCovers,
  ruleSubjectCovers,
  tagAncestors,
} from '../matching';
import type { Snapshot } from '../model';
import { Bitset } from './bitset';

/**
 * What the analysis reasons over: the snapshot plus the universe its rules are sets over. The engine's
 * views look objects up by id and cannot list them, so the caller (the service's copy) lists them.
 */
export type AnalysisInput = {
  snapshot: Snapshot;
  /** Every employee of the tenant's directory copy. */
  employeeIds: readonly string[];
  /** Every tag of the catalogue, tag groups included (a rule may name a group itself). */
  tagIds: readonly string[];
  /** The moment role assignments are read at (expiries); token roles are not part of the universe. */
  at: number;
};

/**
 * One permission group's view of a tag. A tag in two groups is decided once per group (double overlay),
 * so it has two lanes; a tag in one group or none has one (groupId null: in no group).
 */
export type Lane = { tagId: string; groupId: string | null };

/** Subjects, lanes and actions that every rule treats alike: each rule covers a class wholly or not at all. */
export type SubjectClass = { id: number; employeeIds: string[]; rules: number[] };
export type ResourceClass = { id: number; lanes: Lane[]; rules: number[] };
export type ActionClass = { id: number; actions: string[]; rules: number[] };

/** A rule as a product set: (subject classes) × (resource classes) × (action classes). */
export type RuleSet = { subjects: Bitset; resources: Bitset; actions: Bitset };

export type Universe = {
  input: AnalysisInput;
  /** Permission-tree order, top first; a rule's index here is its position. */
  rules: PermissionRuleV1[];
  positionOf: ReadonlyMap<string, number>;
  subjects: SubjectClass[];
  resources: ResourceClass[];
  actions: ActionClass[];
  sets: RuleSet[];
  subjectClassOf: ReadonlyMap<string, number>;
  resourceClassOf: ReadonlyMap<string, number>;
};

export const laneKey = (lane: Lane): string => `${lane.tagId}\u0000${lane.groupId ?? ''}`;

/** Does the rule take part in this lane's decision? Permission-group rules only in their own group's lane. */
export function ruleInLane(rule: PermissionRuleV1, lane: Lane): boolean {
  return rule.resource.kind !== 'permission_group' || rule.resource.id === lane.groupId;
}

/** The actions the analysis distinguishes: the catalogue and every exact action a rule names. */
export function actionUniverse(rules: readonly PermissionRuleV1[]): string[] {
  const out = new Set<string>(ACTIONS_V1);
  for (const r of rules) for (const a of r.actions) if (!a.includes('*')) out.add(a);
  return [...out].sort();
}

export function ruleActionCovers(rule: PermissionRuleV1, action: string): boolean {
  return rule.actions.length === 0 || rule.actions.some((p) => actionMatches(p, action));
}

function multiMap<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

class Classes<T> {
  readonly list: { id: number; members: T[]; rules: number[] }[] = [];
  private readonly byKey = new Map<string, { id: number; members: T[]; rules: number[] }>();

  add(rules: number[], members: readonly T[]): number {
    const key = rules.join(',');
    let c = this.byKey.get(key);
    if (!c) {
      c = { id: this.list.length, members: [], rules };
      this.byKey.set(key, c);
      this.list.push(c);
    }
    c.members.push(...members);
    return c.id;
  }
}

/**
 * Subject classes. An employee no rule and no assignment names is covered exactly as every other
 * employee with the same departments (the primitives read nothing else of them), so the primitives are
 * asked once per department set; named employees are asked one by one. Candidates come from an index of
 * the rules by subject id (the employee, its departments' chains, its roles); the primitive decides.
 */
function subjectClasses(
  snapshot: Snapshot,
  rules: PermissionRuleV1[],
  employeeIds: readonly string[],
  at: number,
) {
  const byEmployee = new Map<string, number[]>();
  const byDepartment = new Map<string, number[]>();
  const byRole = new Map<string, number[]>();
  rules.forEach((r, i) => {
    const s = r.subject;
    multiMap(s.kind === 'employee' ? byEmployee : s.kind === 'department' ? byDepartment : byRole, s.id, i);
  });
  const assigned = new Set<string>();
  for (const a of snapshot.policy.assignments.values())
    if (a.subject.kind === 'employee') assigned.add(a.subject.id);
  const profileOf = (employeeId: string): string => {
    const e = snapshot.directory.employee(employeeId);
    return e ? [...e.departmentIds].sort().join('\u0000') : '\u0001unknown';
  };
  // Roles depend on the employee's id only through assignments naming it; otherwise on its departments.
  const profileRoles = new Map<string, Set<string>>();
  const rolesFor = (employeeId: string, profile: string): Set<string> => {
    if (assigned.has(employeeId)) return rolesOf(snapshot, { employeeId, tokenRoles: [] }, at);
    let roles = profileRoles.get(profile);
    if (!roles) {
      roles = rolesOf(snapshot, { employeeId, tokenRoles: [] }, at);
      profileRoles.set(profile, roles);
    }
    return roles;
  };

  const signature = (employeeId: string, roles: ReadonlySet<string>): number[] => {
    const subject = { employeeId, tokenRoles: [] as string[] };
    const candidates = new Set<number>(byEmployee.get(employeeId) ?? []);
    const employee = snapshot.directory.employee(employeeId);
    for (const d of employee?.departmentIds ?? [])
      for (const c of departmentChain(snapshot.directory, d))
        for (const i of byDepartment.get(c) ?? []) candidates.add(i);
    for (const role of roles) for (const i of byRole.get(role) ?? []) candidates.add(i);
    return [...candidates]
      .filter((i) => ruleSubjectCovers(snapshot, rules[i]!, subject, roles))
      .sort((a, b) => a - b);
  };

  const classes = new Classes<string>();
  const byProfile = new Map<string, string[]>();
  for (const id of employeeIds) {
    const profile = profileOf(id);
    if (byEmployee.has(id) || assigned.has(id)) classes.add(signature(id, rolesFor(id, profile)), [id]);
    else multiMap(byProfile, profile, id);
  }
  for (const [profile, members] of byProfile)
    classes.add(signature(members[0]!, rolesFor(members[0]!, profile)), members);
  return classes.list;
}

/**
 * Resource classes over lanes. Candidates: tag and tag-group rules keyed by the tag or one of its
 * ancestors, permission-group rules of the groups listing one of those; the primitive decides.
 */
function resourceClasses(snapshot: Snapshot, rules: PermissionRuleV1[], tagIds: readonly string[]) {
  const byTagKey = new Map<string, number[]>();
  const byGroup = new Map<string, number[]>();
  rules.forEach((r, i) =>
    multiMap(r.resource.kind === 'permission_group' ? byGroup : byTagKey, r.resource.id, i),
  );
  const groupsListing = new Map<string, string[]>();
  for (const g of snapshot.policy.groups.values())
    for (const id of new Set([...g.tagIds, ...g.tagGroupIds])) multiMap(groupsListing, id, g.groupId);

  const classes = new Classes<Lane>();
  for (const tagId of tagIds) {
    const keys = [tagId, ...tagAncestors(snapshot.tags, tagId)];
    const candidates = new Set<number>();
    const groups = new Set<string>();
    for (const k of keys) {
      for (const i of byTagKey.get(k) ?? []) candidates.add(i);
      for (const g of groupsListing.get(k) ?? []) groups.add(g);
    }
    const memberOf = [...groups]
      .filter((g) => ruleResourceCovers(snapshot, { kind: 'permission_group', id: g }, false, tagId))
      .sort();
    for (const g of memberOf) for (const i of byGroup.get(g) ?? []) candidates.add(i);
    const covering = [...candidates]
      .filter((i) => ruleResourceCovers(snapshot, rules[i]!.resource, rules[i]!.starred, tagId))
      .sort((a, b) => a - b);
    const lanes: Lane[] =
      memberOf.length === 0 ? [{ tagId, groupId: null }] : memberOf.map((groupId) => ({ tagId, groupId }));
    for (const lane of lanes)
      classes.add(
        covering.filter((i) => ruleInLane(rules[i]!, lane)),
        [lane],
      );
  }
  return classes.list;
}

/** Partitions the universe into classes and each rule into a product of classes. */
export function buildUniverse(input: AnalysisInput): Universe {
  const { snapshot } = input;
  const rules = orderedRules(snapshot);
  const subjects = subjectClasses(snapshot, rules, input.employeeIds, input.at).map((c) => ({
    id: c.id,
    employeeIds: c.members,
    rules: c.rules,
  }));
  const resources = resourceClasses(snapshot, rules, input.tagIds).map((c) => ({
    id: c.id,
    lanes: c.members,
    rules: c.rules,
  }));
  const actionClasses = new Classes<string>();
  for (const a of actionUniverse(rules))
    actionClasses.add(
      rules.flatMap((r, i) => (ruleActionCovers(r, a) ? [i] : [])),
      [a],
    );
  const actions = actionClasses.list.map((c) => ({ id: c.id, actions: c.members, rules: c.rules }));

  const sets: RuleSet[] = rules.map(() => ({
    subjects: new Bitset(subjects.length),
    resources: new Bitset(resources.length),
    actions: new Bitset(actions.length),
  }));
  for (const c of subjects) for (const i of c.rules) sets[i]!.subjects.add(c.id);
  for (const c of resources) for (const i of c.rules) sets[i]!.resources.add(c.id);
  for (const c of actions) for (const i of c.rules) sets[i]!.actions.add(c.id);

  const subjectClassOf = new Map<string, number>();
  for (const c of subjects) for (const e of c.employeeIds) subjectClassOf.set(e, c.id);
  const resourceClassOf = new Map<string, number>();
  for (const c of resources) for (const l of c.lanes) resourceClassOf.set(laneKey(l), c.id);
  return {
    input,
    rules,
    positionOf: new Map(rules.map((r, i) => [r.ruleId, i])),
    subjects,
    resources,
    actions,
    sets,
    subjectClassOf,
    resourceClassOf,
  };
}

/** Is the rule's set empty in this universe (it can apply to nothing)? */
export function isEmptyRule(set: RuleSet): boolean {
  return set.subjects.isEmpty() || set.resources.isEmpty() || set.actions.isEmpty();
}
