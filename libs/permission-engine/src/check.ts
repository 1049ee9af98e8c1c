import type { PermissionActionV1, PermissionRuleV1 } from '@tagguard/contracts';
import { actionMatches, departmentChain, tagAncestors } from './matching';
import type {
  CheckRequest,
  CheckSubject,
  Decision,
  LevelTrace,
  OverlayTrace,
  Snapshot,
  TagVisibility,
} from './model';
import { compiledPolicy, type CompiledPolicy, type IndexedRule } from './policy-index';
import { sensitiveHits } from './sensitive-words';

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
  /** The function scopes of the roles held; tenant_admin's token role counts as `*`. */
  scopes: readonly { roleId: string; scope: PermissionActionV1 }[];
};

export function subjectContext(snapshot: Snapshot, subject: CheckSubject, at: number): SubjectContext {
  const compiled = compiledPolicy(snapshot);
  const employee = snapshot.directory.employee(subject.employeeId);
  const own = new Set<string>(employee?.departmentIds ?? []);
  const chain = new Set<string>();
  for (const d of own) for (const c of departmentChain(snapshot.directory, d)) chain.add(c);
  const roles = new Set<string>(subject.tokenRoles);
  const hold = (a: { roleId: string; expiresAt: string | null }) => {
    if (!compiled.roles.has(a.roleId)) return;
    if (a.expiresAt !== null && Date.parse(a.expiresAt) <= at) return;
    roles.add(a.roleId);
  };
  for (const a of compiled.assignments.byEmployee.get(subject.employeeId) ?? []) hold(a);
  for (const d of chain) {
    for (const a of compiled.assignments.byDepartment.get(d) ?? []) {
      if (a.subject.kind !== 'department') continue;
      if (own.has(d) || a.subject.includeSubDepartments) hold(a);
    }
  }
  const isAdmin = subject.tokenRoles.includes(TENANT_ADMIN);
  const scopes: { roleId: string; scope: PermissionActionV1 }[] = [];
  if (isAdmin) scopes.push({ roleId: TENANT_ADMIN, scope: '*' });
  for (const r of roles)
    for (const scope of compiled.roles.get(r)?.scopes ?? []) scopes.push({ roleId: r, scope });
  return { subject, at, isAdmin, own, chain, roles, scopes };
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

function actionsCover(rule: PermissionRuleV1, action: PermissionActionV1): boolean {
  if (rule.actions.length === 0) return true;
  for (const p of rule.actions) if (actionMatches(p, action)) return true;
  return false;
}

/** The tag's facts the rule index needs: its ancestors (nearest first) and its permission groups. */
export type TagPlace = { ancestors: readonly string[]; groups: readonly string[] };

export function tagPlace(snapshot: Snapshot, compiled: CompiledPolicy, tagId: string): TagPlace {
  const ancestors = tagAncestors(snapshot.tags, tagId);
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

/** The first rule, in tree order, over the candidate lists that applies to the caller and action. */
export function firstApplicable(
  lists: (readonly IndexedRule[])[],
  applies: (rule: PermissionRuleV1) => boolean,
): PermissionRuleV1 | null {
  const at = lists.map(() => 0);
  for (;;) {
    let best = -1;
    let bestPosition = Infinity;
    for (let i = 0; i < lists.length; i++) {
      const e = lists[i]![at[i]!];
      if (e && e.position < bestPosition) {
        best = i;
        bestPosition = e.position;
      }
    }
    if (best < 0) return null;
    const rule = lists[best]![at[best]!]!.rule;
    at[best]!++;
    if (applies(rule)) return rule;
  }
}

type GroupOutcome = 'allow' | 'deny' | 'not_applicable';
const outcomeOf = (rule: PermissionRuleV1 | null): GroupOutcome =>
  rule === null ? 'not_applicable' : rule.effect === 'grant' ? 'allow' : 'deny';

function departmentLevel(
  snapshot: Snapshot,
  ctx: SubjectContext,
  action: PermissionActionV1,
  tagId: string,
): { trace: LevelTrace; overlay: OverlayTrace | null } {
  const compiled = compiledPolicy(snapshot);
  const place = tagPlace(snapshot, compiled, tagId);
  const applies = (rule: PermissionRuleV1) => actionsCover(rule, action) && subjectCovers(ctx, rule);
  const describe = (rule: PermissionRuleV1) => `rule ${rule.ruleId} (${rule.effect})`;
  if (place.groups.length === 0) {
    const rule = firstApplicable(candidateLists(compiled, tagId, place, null), applies);
    const outcome = outcomeOf(rule);
    return {
      overlay: null,
      trace: {
        level: 'department_inheritance',
        outcome,
        decidedBy: rule ? [rule.ruleId] : [],
        reason: rule ? `first applicable ${describe(rule)}` : 'no rule of the permission tree applies',
      },
    };
  }
  const groups = place.groups.map((groupId) => {
    const rule = firstApplicable(candidateLists(compiled, tagId, place, groupId), applies);
    return { groupId, outcome: outcomeOf(rule), ruleId: rule?.ruleId ?? null };
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

function scopesFor(ctx: SubjectContext, action: PermissionActionV1): string[] {
  const out = new Set<string>();
  for (const s of ctx.scopes) if (actionMatches(s.scope, action)) out.add(s.roleId);
  return [...out];
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

function visibilityLevel(snapshot: Snapshot, ctx: SubjectContext, tagId: string): LevelTrace {
  const level = 'tag_visibility';
  const tag = snapshot.tags.tag(tagId);
  // Fail closed: a copy that does not know the tag cannot tell whether it is restricted.
  if (!tag) return { level, outcome: 'deny', decidedBy: [], reason: `tag ${tagId} is unknown to this copy` };
  if (ctx.isAdmin)
    return { level, outcome: 'allow', decidedBy: [TENANT_ADMIN], reason: 'tenant_admin sees every tag' };
  const decidedBy: string[] = [];
  for (const id of [tagId, ...tagAncestors(snapshot.tags, tagId)]) {
    const facts = id === tagId ? tag : snapshot.tags.tag(id);
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
  const dept = departmentLevel(snapshot, ctx, action, tagId);
  levels.push(dept.trace);
  if (dept.trace.outcome === 'deny') return done(false, dept.overlay);
  const role = roleLevel(snapshot, ctx, action);
  levels.push(role);
  if (role.outcome === 'deny') return done(false, dept.overlay);
  const visibility = visibilityLevel(snapshot, ctx, tagId);
  levels.push(visibility);
  if (visibility.outcome === 'deny') return done(false, dept.overlay);
  const words = wordsLevel(snapshot, ctx, fields);
  levels.push(words.trace);
  return done(true, dept.overlay, words.masked);
}

/**
 * The four-level check (freeze first for writes, then department inheritance → role scope → tag
 * visibility → sensitive words), with double overlay and a trace. Pure; see README and D-P1.
 */
export function check(snapshot: Snapshot, request: CheckRequest): Decision {
  const ctx = subjectContext(snapshot, request.subject, request.at);
  return checkWith(snapshot, ctx, request.action, request.tagId, request.fields);
}
