import type { PermissionActionV1, RoleV1 } from '@tagguard/contracts';
import { actionMatches, tagAncestors } from './matching';
import type {
  CheckRequest,
  CheckSubject,
  Decision,
  LevelTrace,
  OverlayTrace,
  Snapshot,
  TagFacts,
  TagKind,
  TagView,
  TagVisibility,
} from './model';
import { compiledPolicy, ruleCoversAction, type CompiledPolicy, type IndexedRule } from './policy-index';
import { sensitiveHits } from './sensitive-words';

const MAX_DEPTH = 64; // as matching.ts: guards a cyclic copy
// policy-index's SUBJECT_* kinds, as local constants: under swc's CommonJS an imported binding is a getter
// call each time it is read (D115), and these are read once per candidate rule.
const EMPLOYEE = 0;
const ROLE = 1;
// Per-action caches hold at most this many actions (the catalogue has 12; an unknown action is not kept).
const MAX_CACHED_ACTIONS = 32;

export const TENANT_ADMIN = 'tenant_admin';

/** A write is any action that is not a view; reads are never frozen. */
export const isWriteAction = (action: PermissionActionV1): boolean => !action.endsWith('.view');

const EMPTY: readonly string[] = Object.freeze([]);
const EMPTY_RULES: readonly IndexedRule[] = Object.freeze([]);

/**
 * Membership in the short lists a check builds (a handful of departments or roles): a loop over a few
 * strings costs less than building a Set per check and hashing into it.
 */
function has(list: readonly string[], id: string): boolean {
  for (let i = 0; i < list.length; i++) if (list[i] === id) return true;
  return false;
}

/** A trace shared by every decision that has it: built once, frozen (decidedBy too). */
function shared(trace: LevelTrace): LevelTrace {
  Object.freeze(trace.decidedBy);
  return Object.freeze(trace);
}

/** What the engine knows about the caller, computed once per check (or once per lookup page). */
export type SubjectContext = {
  subject: CheckSubject;
  at: number;
  isAdmin: boolean;
  /** The employee's own departments, without repeats, in the directory's order. */
  own: readonly string[];
  /** Their departments and every ancestor of them (each once). */
  chain: readonly string[];
  /** Role ids held (token roles, then unexpired assignments), each once, as matching.rolesOf. */
  roles: readonly string[];
  compiled: CompiledPolicy;
};

function withoutRepeats(ids: readonly string[]): readonly string[] {
  for (let i = 1; i < ids.length; i++) {
    for (let j = 0; j < i; j++) {
      if (ids[i] === ids[j]) return [...new Set(ids)];
    }
  }
  return ids;
}

export function subjectContext(snapshot: Snapshot, subject: CheckSubject, at: number): SubjectContext {
  const compiled = compiledPolicy(snapshot);
  const { directory } = snapshot;
  const definedRoles = compiled.roles;
  const { holdingsByEmployee, holdingsByDepartment } = compiled.assignments;
  // Roles in matching.rolesOf's order: token roles, direct assignments, then by department along the chain.
  const roles: string[] = [];
  const tokenRoles = subject.tokenRoles;
  for (let i = 0; i < tokenRoles.length; i++) if (!has(roles, tokenRoles[i]!)) roles.push(tokenRoles[i]!);
  const direct = holdingsByEmployee.get(subject.employeeId);
  if (direct) {
    for (let i = 0; i < direct.length; i++) {
      const h = direct[i]!;
      // Live: the role exists and the assignment has not expired (`expiresAt` null is Infinity).
      if (
        (h.expiresAt === Infinity || h.expiresAt > at) &&
        definedRoles.has(h.roleId) &&
        !has(roles, h.roleId)
      )
        roles.push(h.roleId);
    }
  }
  const employee = directory.employee(subject.employeeId);
  const own = employee ? withoutRepeats(employee.departmentIds) : EMPTY;
  // Every department of the employee and its ancestors (matching.departmentChain, each once), and the
  // roles assigned to each as it is reached.
  const chain: string[] = [];
  for (let i = 0; i < own.length; i++) {
    let current: string | null | undefined = own[i];
    for (let depth = 0; current && depth < MAX_DEPTH && !has(chain, current); depth++) {
      chain.push(current);
      const list = holdingsByDepartment.get(current);
      if (list) {
        for (let k = 0; k < list.length; k++) {
          const h = list[k]!;
          if (
            h.department &&
            (h.includeSubDepartments || has(own, current)) &&
            (h.expiresAt === Infinity || h.expiresAt > at) &&
            definedRoles.has(h.roleId) &&
            !has(roles, h.roleId)
          )
            roles.push(h.roleId);
        }
      }
      current = directory.parentOf(current);
    }
  }
  return { subject, at, isAdmin: has(tokenRoles, TENANT_ADMIN), own, chain, roles, compiled };
}

/** The tag's facts the rule index needs: its ancestors (nearest first) and its permission groups. */
export type TagPlace = { ancestors: readonly string[]; groups: readonly string[] };

export function tagPlace(
  snapshot: Snapshot,
  compiled: CompiledPolicy,
  tagId: string,
  ancestors: readonly string[] = tagAncestors(snapshot.tags, tagId),
): TagPlace {
  const groups = new Set<string>(compiled.groups.byTag.get(tagId) ?? []);
  for (const g of compiled.groups.byTagGroup.get(tagId) ?? []) groups.add(g);
  for (const a of ancestors) for (const g of compiled.groups.byTagGroup.get(a) ?? []) groups.add(g);
  return { ancestors, groups: [...groups].sort() };
}

/**
 * The candidate rule lists for the tag, each in tree order: rules on the tag, on it as a tag group, on its
 * parent group, starred rules on farther ancestors (ruleResourceCovers), plus the rules on `group`.
 */
export function candidateLists(
  compiled: CompiledPolicy,
  tagId: string,
  place: TagPlace,
  group: string | null,
): (readonly IndexedRule[])[] {
  const { byTag, byTagGroup, byGroup } = compiled.rules;
  const lists: (readonly IndexedRule[])[] = [];
  const add = (l: readonly IndexedRule[] | undefined) => {
    if (l && l.length) lists.push(l);
  };
  add(byTag.get(tagId));
  add(byTagGroup.get(tagId));
  place.ancestors.forEach((a, i) => {
    if (a === tagId) return;
    const l = byTagGroup.get(a);
    if (!l) return;
    add(i === 0 ? l : l.filter((e) => e.rule.starred));
  });
  if (group !== null) add(byGroup.get(group));
  return lists;
}

/** The candidate lists merged into one, in tree order (a rule has one resource, so no duplicates). */
export function mergedCandidates(lists: (readonly IndexedRule[])[]): readonly IndexedRule[] {
  if (lists.length === 1) return lists[0]!;
  return lists.flat().sort((a, b) => a.position - b.position);
}

/** The department level's answer: its trace and, for a tag in permission groups, the overlay. */
type DepartmentOutcome = { readonly trace: LevelTrace; readonly overlay: OverlayTrace | null };

/**
 * One permission group's (or no group's) candidates: all of them in tree order, those covering each action
 * asked so far, and (a tag in exactly one group) the department outcome per deciding rule, shared.
 */
type Evaluation = {
  groupId: string | null;
  rules: readonly IndexedRule[];
  /** The first two actions asked, on the evaluation itself (read with it, no map to look into), then a map. */
  action1: string | null;
  rules1: readonly IndexedRule[];
  action2: string | null;
  rules2: readonly IndexedRule[];
  byAction: Map<string, readonly IndexedRule[]>;
  single: Map<IndexedRule, DepartmentOutcome> | null;
  /** One group, no rule applies. */
  none: DepartmentOutcome | null;
};

/**
 * One tag's evaluation plan for a compiled policy: its ancestors, permission groups and, per group (or
 * for no group), the merged candidate rules. Kept per compiled policy and tag; the tag view is not
 * versioned, so a kept plan is used only while the tag's ancestors are the ones it was built for.
 */
type TagPlan = TagPlace & { evaluations: Evaluation[] };

function buildPlan(snapshot: Snapshot, compiled: CompiledPolicy, tagId: string): TagPlan {
  const place = tagPlace(snapshot, compiled, tagId);
  const evaluations = (place.groups.length ? place.groups : [null]).map((groupId): Evaluation => ({
    groupId,
    rules: mergedCandidates(candidateLists(compiled, tagId, place, groupId)),
    action1: null,
    rules1: EMPTY_RULES,
    action2: null,
    rules2: EMPTY_RULES,
    byAction: new Map(),
    single: place.groups.length === 1 ? new Map() : null,
    none: null,
  }));
  const plan = { ...place, evaluations };
  // Kept only for a tag the view knows: a Check names any id, and unknown ones would grow the map without bound.
  if (snapshot.tags.tag(tagId) !== undefined) compiled.tagPlans.set(tagId, plan);
  return plan;
}

export function tagPlan(snapshot: Snapshot, compiled: CompiledPolicy, tagId: string): TagPlan {
  const cached = compiled.tagPlans.get(tagId) as TagPlan | undefined;
  if (cached && sameList(cached.ancestors, tagAncestors(snapshot.tags, tagId))) return cached;
  return buildPlan(snapshot, compiled, tagId);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Is `id` among the first `n` of `list`? (matching.tagAncestors' cycle guard over the walk so far) */
function inFirst(list: readonly string[], n: number, id: string): boolean {
  for (let i = 0; i < n; i++) if (list[i] === id) return true;
  return false;
}

/**
 * The tag's path read once per check: the plan (kept, or rebuilt when the ancestors moved) and the
 * restricted visibilities on the path, tag first then nearest group first (null: none restricted).
 */
type TagPath = {
  plan: TagPlan;
  known: boolean;
  restrictedIds: string[] | null;
  restrictedFacts: TagFacts[] | null;
};

function restrictedOnPath(
  tags: TagView,
  tagId: string,
  tag: TagFacts | undefined,
  ancestors: readonly string[],
) {
  let ids: string[] | null = null;
  let facts: TagFacts[] | null = null;
  if (tag && tag.visibility.restricted) {
    ids = [tagId];
    facts = [tag];
  }
  for (const id of ancestors) {
    const f = tags.tag(id);
    if (!f || !f.visibility.restricted) continue;
    (ids ??= []).push(id);
    (facts ??= []).push(f);
  }
  return { ids, facts };
}

function tagPath(snapshot: Snapshot, compiled: CompiledPolicy, tagId: string): TagPath {
  const tags = snapshot.tags;
  const tag = tags.tag(tagId);
  const cached = compiled.tagPlans.get(tagId) as TagPlan | undefined;
  if (cached) {
    // matching.tagAncestors, compared with the kept ancestors as it goes; the facts read on the way are
    // the ones the visibility level needs.
    const kept = cached.ancestors;
    let ids: string[] | null = null;
    let facts: TagFacts[] | null = null;
    if (tag && tag.visibility.restricted) {
      ids = [tagId];
      facts = [tag];
    }
    let n = 0;
    let same = true;
    let current = tag?.parentId ?? null;
    while (current && n < MAX_DEPTH && !inFirst(kept, n, current)) {
      if (n >= kept.length || kept[n] !== current) {
        same = false;
        break;
      }
      const f = tags.tag(current);
      if (f && f.visibility.restricted) {
        (ids ??= []).push(current);
        (facts ??= []).push(f);
      }
      n++;
      current = f?.parentId ?? null;
    }
    if (same && n === kept.length)
      return { plan: cached, known: tag !== undefined, restrictedIds: ids, restrictedFacts: facts };
  }
  const plan = buildPlan(snapshot, compiled, tagId);
  const r = restrictedOnPath(tags, tagId, tag, plan.ancestors);
  return { plan, known: tag !== undefined, restrictedIds: r.ids, restrictedFacts: r.facts };
}

/** The candidates of the evaluation that cover the action, in tree order (kept per action). */
function candidatesFor(ev: Evaluation, action: PermissionActionV1): readonly IndexedRule[] {
  if (ev.action1 === action) return ev.rules1;
  if (ev.action2 === action) return ev.rules2;
  let list = ev.byAction.get(action);
  if (list === undefined) {
    list = ev.rules.filter((e) => ruleCoversAction(e, action));
    if (ev.action1 === null) {
      ev.action1 = action;
      ev.rules1 = list;
    } else if (ev.action2 === null) {
      ev.action2 = action;
      ev.rules2 = list;
    } else if (ev.byAction.size < MAX_CACHED_ACTIONS) ev.byAction.set(action, list);
  }
  return list;
}

/** The first candidate covering the action that covers the caller (subjectCovers, with the caller's facts read once). */
function firstApplicable(
  ev: Evaluation,
  ctx: SubjectContext,
  action: PermissionActionV1,
): IndexedRule | null {
  const rules = candidatesFor(ev, action);
  const employeeId = ctx.subject.employeeId;
  const { roles, own, chain } = ctx;
  for (let i = 0; i < rules.length; i++) {
    const e = rules[i]!;
    const kind = e.subjectKind;
    const id = e.subjectId;
    if (
      kind === EMPLOYEE
        ? id === employeeId
        : kind === ROLE
          ? has(roles, id)
          : has(own, id) || (e.downward && has(chain, id))
    )
      return e;
  }
  return null;
}

type GroupOutcome = 'allow' | 'deny' | 'not_applicable';
const outcomeOf = (e: IndexedRule | null): GroupOutcome =>
  e === null ? 'not_applicable' : e.rule.effect === 'grant' ? 'allow' : 'deny';

const NO_RULE: DepartmentOutcome = Object.freeze({
  overlay: null,
  trace: shared({
    level: 'department_inheritance',
    outcome: 'not_applicable',
    decidedBy: [],
    reason: 'no rule of the permission tree applies',
  }),
});

/** A tag in no permission group: the deciding rule's outcome, built once per indexed rule. */
function ruleOutcome(e: IndexedRule): DepartmentOutcome {
  if (e.decided === null) {
    const rule = e.rule;
    const trace = shared({
      level: 'department_inheritance',
      outcome: outcomeOf(e),
      decidedBy: [rule.ruleId],
      reason: `first applicable rule ${rule.ruleId} (${rule.effect})`,
    });
    e.decided = Object.freeze({ overlay: null, trace });
  }
  return e.decided;
}

/** The double overlay over the groups' deciding rules (one per evaluation, in plan order). */
function overlayOutcome(plan: TagPlan, decided: readonly (IndexedRule | null)[]): DepartmentOutcome {
  const groups = plan.evaluations.map((ev, i) => {
    const e = decided[i]!;
    return { groupId: ev.groupId!, outcome: outcomeOf(e), ruleId: e?.rule.ruleId ?? null };
  });
  const denied = groups.filter((g) => g.outcome === 'deny');
  const outcome: GroupOutcome = denied.length
    ? 'deny'
    : groups.some((g) => g.outcome === 'allow')
      ? 'allow'
      : 'not_applicable';
  const deciding = (denied.length ? denied : groups).flatMap((g) => (g.ruleId ? [g.ruleId] : []));
  const summary = groups
    .map((g) => `${g.groupId}: ${g.outcome}${g.ruleId ? ` by rule ${g.ruleId}` : ''}`)
    .join('; ');
  return {
    overlay: { groups, outcome },
    trace: {
      level: 'department_inheritance',
      outcome,
      decidedBy: [...new Set(deciding)],
      reason: `double overlay over ${groups.length} permission group(s), each must not deny: ${summary}`,
    },
  };
}

/** A tag in one permission group: the overlay over that group's deciding rule, frozen to be shared. */
function singleOutcome(plan: TagPlan, e: IndexedRule | null): DepartmentOutcome {
  const built = overlayOutcome(plan, [e]);
  const overlay = built.overlay!;
  for (const g of overlay.groups) Object.freeze(g);
  Object.freeze(overlay.groups);
  return Object.freeze({ overlay: Object.freeze(overlay), trace: shared(built.trace) });
}

function departmentLevel(plan: TagPlan, ctx: SubjectContext, action: PermissionActionV1): DepartmentOutcome {
  const evaluations = plan.evaluations;
  if (plan.groups.length === 0) {
    const e = firstApplicable(evaluations[0]!, ctx, action);
    return e === null ? NO_RULE : (e.decided ?? ruleOutcome(e));
  }
  if (evaluations.length === 1) {
    // One group: the outcome depends on the deciding rule alone, so it is built once per rule and shared
    // (kept on the rule for the group it last decided, else in the evaluation's map).
    const ev = evaluations[0]!;
    const e = firstApplicable(ev, ctx, action);
    if (e === null) return ev.none ?? (ev.none = singleOutcome(plan, null));
    if (e.groupDecided !== null && e.groupDecidedFor === ev.groupId) return e.groupDecided;
    let out = ev.single!.get(e);
    if (out === undefined) ev.single!.set(e, (out = singleOutcome(plan, e)));
    e.groupDecidedFor = ev.groupId;
    e.groupDecided = out;
    return out;
  }
  return overlayOutcome(
    plan,
    evaluations.map((ev) => firstApplicable(ev, ctx, action)),
  );
}

/** Per roles map and action: the roles whose function scope covers it, and the traces of one role held. */
type RoleTraces = {
  covering: ReadonlySet<string>;
  grantedBy: Map<string, LevelTrace>;
  deniedHolding: Map<string, LevelTrace>;
  deniedHoldingNone: LevelTrace;
};
const roleTraces = new WeakMap<ReadonlyMap<string, RoleV1>, Map<string, RoleTraces>>();

function rolesFor(roles: ReadonlyMap<string, RoleV1>, action: PermissionActionV1): RoleTraces {
  let byAction = roleTraces.get(roles);
  if (!byAction) roleTraces.set(roles, (byAction = new Map()));
  let t = byAction.get(action);
  if (t === undefined) {
    const covering = new Set<string>();
    for (const [id, role] of roles)
      if (role.scopes.some((scope) => actionMatches(scope, action))) covering.add(id);
    t = {
      covering,
      grantedBy: new Map(),
      deniedHolding: new Map(),
      deniedHoldingNone: shared(roleDenied(action, [])),
    };
    if (byAction.size < MAX_CACHED_ACTIONS) byAction.set(action, t);
  }
  return t;
}

/** The roles held whose function scope covers the action; tenant_admin's token role counts as scope `*`. */
function scopesFor(ctx: SubjectContext, covering: ReadonlySet<string>): string[] {
  const out: string[] = ctx.isAdmin ? [TENANT_ADMIN] : [];
  for (const r of ctx.roles) if (covering.has(r) && !out.includes(r)) out.push(r);
  return out;
}

const roleGranted = (action: PermissionActionV1, granting: string[]): LevelTrace => ({
  level: 'role_scope',
  outcome: 'allow',
  decidedBy: granting,
  reason: `function scope of ${granting.join(', ')} covers ${action}`,
});

const roleDenied = (action: PermissionActionV1, held: readonly string[]): LevelTrace => ({
  level: 'role_scope',
  outcome: 'deny',
  decidedBy: [],
  reason: `no role held covers ${action} (held: ${held.length ? held.join(', ') : 'none'})`,
});

const NO_ROLES_VIEW = shared({
  level: 'role_scope',
  outcome: 'allow',
  decidedBy: [],
  reason: 'the tenant defines no role: views pass',
});
const NO_ROLES_ADMIN_WRITE = shared({
  level: 'role_scope',
  outcome: 'allow',
  decidedBy: [TENANT_ADMIN],
  reason: 'the tenant defines no role: tenant_admin may write',
});

/** The kind of tag an action acts on: `customer_tags.view` and `customer_fields.view` a customer tag; none for others. */
export function actionTagKind(action: PermissionActionV1): TagKind | null {
  const dot = action.indexOf('.');
  const resource = dot < 0 ? action : action.slice(0, dot);
  const kind = resource.endsWith('_tags')
    ? resource.slice(0, -5)
    : resource === 'customer_fields'
      ? 'customer'
      : '';
  return kind === 'member' || kind === 'customer' || kind === 'partner' ? kind : null;
}

/**
 * An action on one kind of tag asked of a tag of another (`customer_tags.view` on a member tag): no role's
 * function scope covers it, whatever the roles grant (a role granting customer_tags.* grants nothing on
 * member tags). A tag not in the view yet is left to the levels as before.
 */
export function kindMismatch(
  snapshot: Snapshot,
  action: PermissionActionV1,
  tagId: string,
): LevelTrace | null {
  const kind = actionTagKind(action);
  if (kind === null) return null;
  const tag = snapshot.tags.tag(tagId);
  if (tag === undefined || tag.kind === kind) return null;
  return {
    level: 'role_scope',
    outcome: 'deny',
    decidedBy: [],
    reason: `${action} acts on ${kind} tags; ${tagId} is a ${tag.kind} tag`,
  };
}

function roleLevel(snapshot: Snapshot, ctx: SubjectContext, action: PermissionActionV1): LevelTrace {
  if (snapshot.policy.roles.size === 0) {
    if (!isWriteAction(action)) return NO_ROLES_VIEW;
    return ctx.isAdmin
      ? NO_ROLES_ADMIN_WRITE
      : {
          level: 'role_scope',
          outcome: 'deny',
          decidedBy: [],
          reason: `the tenant defines no role: ${action} needs tenant_admin`,
        };
  }
  const t = rolesFor(ctx.compiled.roles, action);
  const held = ctx.roles;
  if (!ctx.isAdmin) {
    // The usual callers hold no covering role or one: their traces are built once per role and shared.
    let one: string | null = null;
    let count = 0;
    for (let i = 0; i < held.length; i++) {
      if (t.covering.has(held[i]!)) {
        one = held[i]!;
        count++;
      }
    }
    if (count === 1) {
      let trace = t.grantedBy.get(one!);
      if (trace === undefined) t.grantedBy.set(one!, (trace = shared(roleGranted(action, [one!]))));
      return trace;
    }
    if (count === 0) {
      if (held.length === 0) return t.deniedHoldingNone;
      if (held.length === 1) {
        const r = held[0]!;
        let trace = t.deniedHolding.get(r);
        if (trace === undefined) {
          trace = shared(roleDenied(action, held));
          // Kept for the tenant's own roles; a token or claimed role is any string a request names (Check's
          // subject.roles), so only a few of those are kept: the cache lives as long as the roles map.
          if (ctx.compiled.roles.has(r) || t.deniedHolding.size < MAX_CACHED_ACTIONS)
            t.deniedHolding.set(r, trace);
        }
        return trace;
      }
      return roleDenied(action, held);
    }
  }
  return roleGranted(action, scopesFor(ctx, t.covering));
}

/** Which entry of a restricted visibility admits the caller, or null. */
export function visibilityAdmits(ctx: SubjectContext, tagId: string, v: TagVisibility): string | null {
  if (v.memberIds.includes(ctx.subject.employeeId))
    return `visibility/${tagId}/member/${ctx.subject.employeeId}`;
  for (const r of v.roles) if (has(ctx.roles, r)) return `visibility/${tagId}/role/${r}`;
  for (const d of v.departments) {
    if (has(ctx.own, d.departmentId) || (d.includeSubDepartments && has(ctx.chain, d.departmentId)))
      return `visibility/${tagId}/department/${d.departmentId}`;
  }
  return null;
}

const VISIBLE_TO_ADMIN = shared({
  level: 'tag_visibility',
  outcome: 'allow',
  decidedBy: [TENANT_ADMIN],
  reason: 'tenant_admin sees every tag',
});
const VISIBLE_TO_ALL = shared({
  level: 'tag_visibility',
  outcome: 'allow',
  decidedBy: [],
  reason: 'the tag and its groups are visible to the whole tenant',
});

function visibilityLevel(ctx: SubjectContext, tagId: string, path: TagPath): LevelTrace {
  const level = 'tag_visibility';
  // Fail closed: a copy that does not know the tag cannot tell whether it is restricted.
  if (!path.known)
    return { level, outcome: 'deny', decidedBy: [], reason: `tag ${tagId} is unknown to this copy` };
  if (ctx.isAdmin) return VISIBLE_TO_ADMIN;
  const ids = path.restrictedIds;
  if (ids === null) return VISIBLE_TO_ALL;
  const facts = path.restrictedFacts!;
  const decidedBy: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const entry = visibilityAdmits(ctx, id, facts[i]!.visibility);
    if (!entry)
      return {
        level,
        outcome: 'deny',
        decidedBy: [`visibility/${id}`],
        reason: `${id === tagId ? 'tag' : 'tag group'} ${id} is restricted and lists neither the caller, their roles nor their departments`,
      };
    decidedBy.push(entry);
  }
  return {
    level,
    outcome: 'allow',
    decidedBy,
    reason: 'every restricted visibility on the path admits the caller',
  };
}

const NO_FIELD = shared({
  level: 'sensitive_words',
  outcome: 'not_applicable',
  decidedBy: [],
  reason: 'no field requested',
});
const NO_WORD = shared({
  level: 'sensitive_words',
  outcome: 'not_applicable',
  decidedBy: [],
  reason: 'the tenant has no sensitive word',
});
const NO_WORD_IN_FIELDS = shared({
  level: 'sensitive_words',
  outcome: 'allow',
  decidedBy: [],
  reason: 'no sensitive word in the fields',
});

function wordsLevel(
  snapshot: Snapshot,
  ctx: SubjectContext,
  fields: Readonly<Record<string, string>> | undefined,
): { trace: LevelTrace; masked: readonly string[] } {
  const level = 'sensitive_words';
  const names = fields ? Object.keys(fields) : EMPTY;
  if (names.length === 0) return { masked: EMPTY, trace: NO_FIELD };
  if (snapshot.policy.words.size === 0) return { masked: EMPTY, trace: NO_WORD };
  const hitFields: string[] = [];
  const words = new Set<string>();
  for (const name of (names as string[]).sort()) {
    const hits = sensitiveHits(snapshot.policy.words, name, fields![name]!);
    if (hits.length) {
      hitFields.push(name);
      for (const w of hits) words.add(w);
    }
  }
  if (hitFields.length === 0) return { masked: EMPTY, trace: NO_WORD_IN_FIELDS };
  const viewers = scopesFor(ctx, rolesFor(ctx.compiled.roles, 'customer_fields.view').covering);
  if (viewers.length)
    return {
      masked: EMPTY,
      trace: {
        level,
        outcome: 'allow',
        decidedBy: [...words, ...viewers],
        reason: `sensitive words in ${hitFields.join(', ')}, shown: ${viewers.join(', ')} grants customer_fields.view`,
      },
    };
  return {
    masked: hitFields,
    trace: {
      level,
      outcome: 'masked',
      decidedBy: [...words],
      reason: `sensitive words in ${hitFields.join(', ')}: masked`,
    },
  };
}

const READS_NOT_FROZEN = shared({
  level: 'freeze',
  outcome: 'not_applicable',
  decidedBy: [],
  reason: 'reads are never frozen',
});
const NOT_FROZEN = shared({
  level: 'freeze',
  outcome: 'allow',
  decidedBy: [],
  reason: 'the actor is not frozen',
});

function freezeLevel(snapshot: Snapshot, ctx: SubjectContext, action: PermissionActionV1): LevelTrace {
  const level = 'freeze';
  if (!isWriteAction(action)) return READS_NOT_FROZEN;
  const f = snapshot.policy.freezes.get(ctx.subject.employeeId);
  if (!f || !f.frozen) return NOT_FROZEN;
  if (f.until !== null && Date.parse(f.until) <= ctx.at)
    return { level, outcome: 'allow', decidedBy: [], reason: `the freeze ended at ${f.until}` };
  return {
    level,
    outcome: 'deny',
    decidedBy: [`freeze/${f.actorId}`],
    reason: `the actor is frozen (${f.source}${f.reason ? `: ${f.reason}` : ''})${f.until ? ` until ${f.until}` : ''}`,
  };
}

function decision(
  snapshot: Snapshot,
  allowed: boolean,
  levels: LevelTrace[],
  overlay: OverlayTrace | null,
  maskedFields: readonly string[],
): Decision {
  return { allowed, maskedFields, levels, overlay, snapshot: snapshot.policy.position };
}

/**
 * The check for a caller whose context is already computed (lookups reuse one context per page).
 * Traces that do not depend on the caller beyond what selects them (a deciding rule, one role held, a
 * constant answer) are built once and shared, frozen, by every decision that has them (D117).
 */
export function checkWith(
  snapshot: Snapshot,
  ctx: SubjectContext,
  action: PermissionActionV1,
  tagId: string,
  fields?: Readonly<Record<string, string>>,
): Decision {
  const freeze = freezeLevel(snapshot, ctx, action);
  if (freeze.outcome === 'deny') return decision(snapshot, false, [freeze], null, EMPTY);
  const path = tagPath(snapshot, ctx.compiled, tagId);
  const dept = departmentLevel(path.plan, ctx, action);
  if (dept.trace.outcome === 'deny')
    return decision(snapshot, false, [freeze, dept.trace], dept.overlay, EMPTY);
  const role = kindMismatch(snapshot, action, tagId) ?? roleLevel(snapshot, ctx, action);
  if (role.outcome === 'deny')
    return decision(snapshot, false, [freeze, dept.trace, role], dept.overlay, EMPTY);
  const visibility = visibilityLevel(ctx, tagId, path);
  if (visibility.outcome === 'deny')
    return decision(snapshot, false, [freeze, dept.trace, role, visibility], dept.overlay, EMPTY);
  const words = wordsLevel(snapshot, ctx, fields);
  return decision(
    snapshot,
    true,
    [freeze, dept.trace, role, visibility, words.trace],
    dept.overlay,
    words.masked,
  );
}

/**
 * The four-level check (freeze first for writes, then department inheritance → role scope → tag
 * visibility → sensitive words), with double overlay and a trace. Pure; see README and D56.
 */
export function check(snapshot: Snapshot, request: CheckRequest): Decision {
  const ctx = subjectContext(snapshot, request.subject, request.at);
  return checkWith(snapshot, ctx, request.action, request.tagId, request.fields);
}
