// The check as it was before D117 (commit 19fa2ff), kept verbatim as the reference the fast check is compared
// with (check.reference.property.spec.ts): the same decisions and the same explanations, object for object.
import type { PermissionActionV1, PermissionRuleV1, RoleAssignmentV1 } from '@tagguard/contracts';
import { actionMatches, tagAncestors } from '../matching';

const MAX_DEPTH = 64; // as matching.ts: guards a cyclic copy
import type {
  CheckRequest,
  CheckSubject,
  Decision,
  LevelTrace,
  OverlayTrace,
  Snapshot,
  TagVisibility,
} from '../model';
import { compiledPolicy, ruleCoversAction, type CompiledPolicy, type IndexedRule } from '../policy-index';
import { sensitiveHits } from '../sensitive-words';

export const TENANT_ADMIN = 'tenant_admin';

/** A write is any action that is not a view; reads are never frozen. */
export const isWriteAction = (action: PermissionActionV1): boolean => !action.endsWith('.view');

/** What the engine knows about the caller, computed once per check (or once per lookup page). */
export type SubjectContext = {
  subject: CheckSubject;
  at: number;
  isAdmin: boolean;
  /** The employee's own departments. */
  own: ReadonlySet<string>;
  /** Their departments and every ancestor of them. */
  chain: ReadonlySet<string>;
  /** Role ids held (unexpired assignments and token roles), as matching.rolesOf. */
  roles: ReadonlySet<string>;
  compiled: CompiledPolicy;
};

export function subjectContext(snapshot: Snapshot, subject: CheckSubject, at: number): SubjectContext {
  const compiled = compiledPolicy(snapshot);
  const { directory } = snapshot;
  const employee = directory.employee(subject.employeeId);
  const own = new Set<string>(employee?.departmentIds ?? []);
  // Every department of the employee and its ancestors (matching.departmentChain, as one set).
  const chain = new Set<string>();
  for (const d of own) {
    let current: string | null | undefined = d;
    for (let depth = 0; current && depth < MAX_DEPTH && !chain.has(current); depth++) {
      chain.add(current);
      current = directory.parentOf(current);
    }
  }
  const roles = new Set<string>(subject.tokenRoles);
  const live = (a: RoleAssignmentV1) =>
    compiled.roles.has(a.roleId) && (a.expiresAt === null || Date.parse(a.expiresAt) > at);
  for (const a of compiled.assignments.byEmployee.get(subject.employeeId) ?? [])
    if (live(a)) roles.add(a.roleId);
  for (const d of chain) {
    const list = compiled.assignments.byDepartment.get(d);
    if (!list) continue;
    for (const a of list) {
      if (a.subject.kind === 'department' && (own.has(d) || a.subject.includeSubDepartments) && live(a))
        roles.add(a.roleId);
    }
  }
  return { subject, at, isAdmin: subject.tokenRoles.includes(TENANT_ADMIN), own, chain, roles, compiled };
}

function subjectCovers(ctx: SubjectContext, rule: PermissionRuleV1): boolean {
  const s = rule.subject;
  switch (s.kind) {
    case 'employee':
      return s.id === ctx.subject.employeeId;
    case 'role':
      return ctx.roles.has(s.id);
    case 'department':
      return ctx.own.has(s.id) || ((rule.starred || s.includeSubDepartments) && ctx.chain.has(s.id));
  }
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

/**
 * One tag's evaluation plan for a compiled policy: its ancestors, permission groups and, per group (or
 * for no group), the merged candidate rules. Cached per compiled policy and tag; the tag view is not
 * versioned, so a cached plan is used only while the tag's ancestors are the ones it was built for.
 */
type TagPlan = TagPlace & { evaluations: { groupId: string | null; rules: readonly IndexedRule[] }[] };
const plans = new WeakMap<CompiledPolicy, Map<string, TagPlan>>();

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function tagPlan(snapshot: Snapshot, compiled: CompiledPolicy, tagId: string): TagPlan {
  let byTag = plans.get(compiled);
  if (!byTag) plans.set(compiled, (byTag = new Map()));
  const ancestors = tagAncestors(snapshot.tags, tagId);
  const cached = byTag.get(tagId);
  if (cached && sameList(cached.ancestors, ancestors)) return cached;
  const place = tagPlace(snapshot, compiled, tagId, ancestors);
  const evaluations = (place.groups.length ? place.groups : [null]).map((groupId) => ({
    groupId,
    rules: mergedCandidates(candidateLists(compiled, tagId, place, groupId)),
  }));
  const plan = { ...place, evaluations };
  byTag.set(tagId, plan);
  return plan;
}

/** The first rule of the merged candidates that covers the action and the caller. */
function firstApplicable(rules: readonly IndexedRule[], ctx: SubjectContext, action: PermissionActionV1) {
  for (let i = 0; i < rules.length; i++) {
    const e = rules[i]!;
    if (ruleCoversAction(e, action) && subjectCovers(ctx, e.rule)) return e.rule;
  }
  return null;
}

type GroupOutcome = 'allow' | 'deny' | 'not_applicable';
const outcomeOf = (rule: PermissionRuleV1 | null): GroupOutcome =>
  rule === null ? 'not_applicable' : rule.effect === 'grant' ? 'allow' : 'deny';

function departmentLevel(
  plan: TagPlan,
  ctx: SubjectContext,
  action: PermissionActionV1,
): { trace: LevelTrace; overlay: OverlayTrace | null } {
  if (plan.groups.length === 0) {
    const rule = firstApplicable(plan.evaluations[0]!.rules, ctx, action);
    return {
      overlay: null,
      trace: {
        level: 'department_inheritance',
        outcome: outcomeOf(rule),
        decidedBy: rule ? [rule.ruleId] : [],
        reason: rule
          ? `first applicable rule ${rule.ruleId} (${rule.effect})`
          : 'no rule of the permission tree applies',
      },
    };
  }
  const groups = plan.evaluations.map(({ groupId, rules }) => {
    const rule = firstApplicable(rules, ctx, action);
    return { groupId: groupId!, outcome: outcomeOf(rule), ruleId: rule?.ruleId ?? null };
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

/** The roles held whose function scope covers the action; tenant_admin's token role counts as scope `*`. */
function scopesFor(ctx: SubjectContext, action: PermissionActionV1): string[] {
  const out: string[] = ctx.isAdmin ? [TENANT_ADMIN] : [];
  for (const r of ctx.roles) {
    const scopes = ctx.compiled.roles.get(r)?.scopes;
    if (scopes && scopes.some((scope) => actionMatches(scope, action)) && !out.includes(r)) out.push(r);
  }
  return out;
}

/** An action on one kind of tag asked of a known tag of another kind: denied at the role scope. */
function kindLevel(snapshot: Snapshot, action: PermissionActionV1, tagId: string): LevelTrace | null {
  const kinds: Record<string, string> = {
    member_tags: 'member',
    customer_tags: 'customer',
    partner_tags: 'partner',
    customer_fields: 'customer',
  };
  const kind = kinds[action.split('.')[0]!];
  const tag = snapshot.tags.tag(tagId);
  if (kind === undefined || tag === undefined || tag.kind === kind) return null;
  return {
    level: 'role_scope',
    outcome: 'deny',
    decidedBy: [],
    reason: `${action} acts on ${kind} tags; ${tagId} is a ${tag.kind} tag`,
  };
}

function roleLevel(snapshot: Snapshot, ctx: SubjectContext, action: PermissionActionV1): LevelTrace {
  const level = 'role_scope';
  if (snapshot.policy.roles.size === 0) {
    if (!isWriteAction(action))
      return { level, outcome: 'allow', decidedBy: [], reason: 'the tenant defines no role: views pass' };
    return ctx.isAdmin
      ? {
          level,
          outcome: 'allow',
          decidedBy: [TENANT_ADMIN],
          reason: 'the tenant defines no role: tenant_admin may write',
        }
      : {
          level,
          outcome: 'deny',
          decidedBy: [],
          reason: `the tenant defines no role: ${action} needs tenant_admin`,
        };
  }
  const granting = scopesFor(ctx, action);
  if (granting.length)
    return {
      level,
      outcome: 'allow',
      decidedBy: granting,
      reason: `function scope of ${granting.join(', ')} covers ${action}`,
    };
  const held = [...ctx.roles];
  return {
    level,
    outcome: 'deny',
    decidedBy: [],
    reason: `no role held covers ${action} (held: ${held.length ? held.join(', ') : 'none'})`,
  };
}

/** Which entry of a restricted visibility admits the caller, or null. */
export function visibilityAdmits(ctx: SubjectContext, tagId: string, v: TagVisibility): string | null {
  if (v.memberIds.includes(ctx.subject.employeeId))
    return `visibility/${tagId}/member/${ctx.subject.employeeId}`;
  for (const r of v.roles) if (ctx.roles.has(r)) return `visibility/${tagId}/role/${r}`;
  for (const d of v.departments) {
    if (ctx.own.has(d.departmentId) || (d.includeSubDepartments && ctx.chain.has(d.departmentId)))
      return `visibility/${tagId}/department/${d.departmentId}`;
  }
  return null;
}

function visibilityLevel(
  snapshot: Snapshot,
  ctx: SubjectContext,
  tagId: string,
  ancestors: readonly string[],
): LevelTrace {
  const level = 'tag_visibility';
  const tag = snapshot.tags.tag(tagId);
  // Fail closed: a copy that does not know the tag cannot tell whether it is restricted.
  if (!tag) return { level, outcome: 'deny', decidedBy: [], reason: `tag ${tagId} is unknown to this copy` };
  if (ctx.isAdmin)
    return { level, outcome: 'allow', decidedBy: [TENANT_ADMIN], reason: 'tenant_admin sees every tag' };
  const decidedBy: string[] = [];
  for (let i = -1; i < ancestors.length; i++) {
    const id = i < 0 ? tagId : ancestors[i]!;
    const facts = i < 0 ? tag : snapshot.tags.tag(id);
    if (!facts || !facts.visibility.restricted) continue;
    const entry = visibilityAdmits(ctx, id, facts.visibility);
    if (!entry)
      return {
        level,
        outcome: 'deny',
        decidedBy: [`visibility/${id}`],
        reason: `${id === tagId ? 'tag' : 'tag group'} ${id} is restricted and lists neither the caller, their roles nor their departments`,
      };
    decidedBy.push(entry);
  }
  return decidedBy.length
    ? {
        level,
        outcome: 'allow',
        decidedBy,
        reason: 'every restricted visibility on the path admits the caller',
      }
    : {
        level,
        outcome: 'allow',
        decidedBy: [],
        reason: 'the tag and its groups are visible to the whole tenant',
      };
}

function wordsLevel(
  snapshot: Snapshot,
  ctx: SubjectContext,
  fields: Readonly<Record<string, string>> | undefined,
): { trace: LevelTrace; masked: string[] } {
  const level = 'sensitive_words';
  const names = fields ? Object.keys(fields) : [];
  if (names.length === 0 || snapshot.policy.words.size === 0)
    return {
      masked: [],
      trace: {
        level,
        outcome: 'not_applicable',
        decidedBy: [],
        reason: names.length ? 'the tenant has no sensitive word' : 'no field requested',
      },
    };
  const hitFields: string[] = [];
  const words = new Set<string>();
  for (const name of names.sort()) {
    const hits = sensitiveHits(snapshot.policy.words, name, fields![name]!);
    if (hits.length) {
      hitFields.push(name);
      for (const w of hits) words.add(w);
    }
  }
  if (hitFields.length === 0)
    return {
      masked: [],
      trace: { level, outcome: 'allow', decidedBy: [], reason: 'no sensitive word in the fields' },
    };
  const viewers = scopesFor(ctx, 'customer_fields.view');
  if (viewers.length)
    return {
      masked: [],
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

function freezeLevel(snapshot: Snapshot, ctx: SubjectContext, action: PermissionActionV1): LevelTrace {
  const level = 'freeze';
  if (!isWriteAction(action))
    return { level, outcome: 'not_applicable', decidedBy: [], reason: 'reads are never frozen' };
  const f = snapshot.policy.freezes.get(ctx.subject.employeeId);
  if (!f || !f.frozen) return { level, outcome: 'allow', decidedBy: [], reason: 'the actor is not frozen' };
  if (f.until !== null && Date.parse(f.until) <= ctx.at)
    return { level, outcome: 'allow', decidedBy: [], reason: `the freeze ended at ${f.until}` };
  return {
    level,
    outcome: 'deny',
    decidedBy: [`freeze/${f.actorId}`],
    reason: `the actor is frozen (${f.source}${f.reason ? `: ${f.reason}` : ''})${f.until ? ` until ${f.until}` : ''}`,
  };
}

/** The check for a caller whose context is already computed (lookups reuse one context per page). */
export function checkWith(
  snapshot: Snapshot,
  ctx: SubjectContext,
  action: PermissionActionV1,
  tagId: string,
  fields?: Readonly<Record<string, string>>,
): Decision {
  const levels: LevelTrace[] = [];
  const done = (
    allowed: boolean,
    overlay: OverlayTrace | null,
    maskedFields: readonly string[] = [],
  ): Decision => ({
    allowed,
    maskedFields,
    levels,
    overlay,
    snapshot: snapshot.policy.position,
  });
  const freeze = freezeLevel(snapshot, ctx, action);
  levels.push(freeze);
  if (freeze.outcome === 'deny') return done(false, null);
  const plan = tagPlan(snapshot, compiledPolicy(snapshot), tagId);
  const dept = departmentLevel(plan, ctx, action);
  levels.push(dept.trace);
  if (dept.trace.outcome === 'deny') return done(false, dept.overlay);
  const role = kindLevel(snapshot, action, tagId) ?? roleLevel(snapshot, ctx, action);
  levels.push(role);
  if (role.outcome === 'deny') return done(false, dept.overlay);
  const visibility = visibilityLevel(snapshot, ctx, tagId, plan.ancestors);
  levels.push(visibility);
  if (visibility.outcome === 'deny') return done(false, dept.overlay);
  const words = wordsLevel(snapshot, ctx, fields);
  levels.push(words.trace);
  return done(true, dept.overlay, words.masked);
}

/**
 * The four-level check (freeze first for writes, then department inheritance → role scope → tag
 * visibility → sensitive words), with double overlay and a trace. Pure; see README and D56.
 */
export function check(snapshot: Snapshot, request: CheckRequest): Decision {
  const ctx = subjectContext(snapshot, request.subject, request.at);
  return checkWith(snapshot, ctx, request.action, request.tagId, request.fields);
}
export const checkReference = check;
