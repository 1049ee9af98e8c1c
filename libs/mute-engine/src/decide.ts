import {
  type CompiledCondition,
  type CompiledGreenChannel,
  type CompiledRule,
  laneOf,
  type RuleIndex,
  type RuleLane,
  ruleIndex,
  SPECIFICITY_DIMENSIONS,
} from './compile';
import type {
  AppliedReason,
  DecideInput,
  MuteDecision,
  MuteMessage,
  MuteTagView,
  PrecedenceTier,
  TemporaryUnmute,
  ThrottleNote,
} from './model';
import {
  type CalendarContext,
  nextWorkingInstant,
  nextWorkingStart,
  scheduleEnd,
  scheduleActive,
} from './schedule';
import { HOUR_MS, localDay, offsetAt, resolveLocal } from './zone';

/**
 * The mute decision (D66). One precedence, strongest first:
 *   1. green channel        — a sender in a whitelisted tag group is notified; bypasses every mute and throttle;
 *   2. temporary unmute     — a tag unmuted until an instant: notified, and the unmute is named for its report;
 *   3. urgent override      — a rule that covers only urgent messages with effect notify (urgency is a rule
 *                             input: an urgent message from a muted partner is muted unless such a rule names it);
 *   4. most specific rule   — among the other rules that apply, the one whose effective conditions (its own and
 *                             its ancestors') name the narrowest dimensions, compared lexicographically:
 *                             recipient > recipient department/tag > sender enterprise > sender tag > sender kind >
 *                             schedule > urgency > nesting depth; then the quieter effect (hold > silent > notify);
 *                             then the lower rule id;
 *   5. throttle             — a NOTIFY from 4 (or the default) is HELD when a throttle rule that applies has used
 *                             its N alerts for the period; released at the first working instant after the period;
 *   6. default              — nothing applies: NOTIFY.
 */
export function decide(input: DecideInput): MuteDecision {
  return decideOver(input, candidates);
}

/**
 * The same decision with every compiled rule a candidate: the oracle the index's equivalence property
 * (decide.property.spec.ts) compares decide() against. Not for production: it scans the whole rule set.
 */
export function decideScanningEveryRule(input: DecideInput): MuteDecision {
  return decideOver(input, (index) => index.rules.slice());
}

function decideOver(
  input: DecideInput,
  candidatesOf: (index: RuleIndex, ctx: MessageContext) => CompiledRule[],
): MuteDecision {
  const { message, rules } = input;
  const index = ruleIndex(rules);
  const zone = rules.settings.timeZones.get(message.recipientId) ?? rules.settings.defaultTimeZone;
  const ctx = messageContext(input, zone, index);
  const t = message.sentAt;

  const greens: CompiledGreenChannel[] = [];
  for (const tag of ctx.senderTags) {
    const channels = index.greenByGroup.get(tag);
    if (channels)
      for (const g of channels) if (!g.recipient || conditionHolds(g.recipient, ctx)) greens.push(g);
  }
  const unmutes: TemporaryUnmute[] = [];
  for (const u of input.unmutes) {
    if (
      u.startsAt <= t &&
      t < u.endsAt &&
      (ctx.senderTags.includes(u.tagId) || ctx.recipientTags.includes(u.tagId))
    )
      unmutes.push(u);
  }

  const found = candidatesOf(index, ctx);
  const applied: CompiledRule[] = [];
  for (let i = 0; i < found.length; i += 1) {
    const r = found[i] as CompiledRule;
    if (ruleApplies(r, ctx)) applied.push(r);
  }
  // Insertion sort on each rule's place in the precomputed precedence order (compile.ts byPrecedence): the
  // same order as sorting with the comparator, without a comparator call per pair.
  for (let i = 1; i < applied.length; i += 1) {
    const r = applied[i] as CompiledRule;
    let j = i - 1;
    while (j >= 0 && (applied[j] as CompiledRule).precedence > r.precedence) {
      applied[j + 1] = applied[j] as CompiledRule;
      j -= 1;
    }
    applied[j + 1] = r;
  }
  const urgentOverrides: CompiledRule[] = [];
  const throttles: CompiledRule[] = [];
  const scoped: CompiledRule[] = [];
  for (const r of applied) {
    if (r.effect === 'throttle') throttles.push(r);
    else if (r.effect === 'notify' && r.urgency === 'urgent') urgentOverrides.push(r);
    else scoped.push(r);
  }

  let tier: PrecedenceTier;
  let winnerId: string | null = null;
  let why: string;
  let outcome: MuteDecision['outcome'] = 'NOTIFY';
  let releaseAt: number | null = null;
  const notes: ThrottleNote[] = [];
  let unmuteId: string | null = null;

  if (greens.length > 0) {
    const g = greens[0] as CompiledGreenChannel;
    tier = 'green_channel';
    winnerId = g.channel.channelId;
    why = `green channel '${g.channel.name}' (tag group ${g.channel.tagGroupId}) bypasses every mute${overridden(applied)}`;
  } else if (unmutes.length > 0) {
    const u = unmutes[0] as TemporaryUnmute;
    tier = 'temporary_unmute';
    winnerId = u.unmuteId;
    unmuteId = u.unmuteId;
    why = `tag ${u.tagId} is temporarily unmuted by ${u.actorId} until ${iso(u.endsAt)}${overridden(applied)}`;
  } else if (urgentOverrides.length > 0) {
    const r = urgentOverrides[0] as CompiledRule;
    tier = 'urgent_override';
    winnerId = r.rule.ruleId;
    why = `urgent message: rule '${r.rule.name}' lets urgent messages through${overridden(applied.filter((a) => a !== r))}`;
  } else {
    const winner = scoped[0];
    if (winner) {
      tier = 'most_specific_rule';
      winnerId = winner.rule.ruleId;
      why = explainSpecific(winner, scoped[1]);
      if (winner.effect === 'silent') outcome = 'SILENT';
      else if (winner.effect === 'hold') {
        outcome = 'HOLD';
        releaseAt = holdRelease(winner, index, ctx);
      }
    } else {
      tier = 'default';
      why = 'no rule applies: notify';
    }
    if (outcome === 'NOTIFY' && throttles.length > 0) {
      let exhausted: CompiledRule | null = null;
      let latestEnd = 0;
      for (const r of throttles) {
        const note = throttleNote(r, input, ctx);
        notes.push(note);
        if (note.exhausted) {
          exhausted ??= r;
          latestEnd = Math.max(latestEnd, note.periodEnd);
        }
      }
      if (exhausted) {
        const first = notes.find((n) => n.exhausted) as ThrottleNote;
        why = `throttle '${exhausted.rule.name}': ${first.alertsBefore} of ${first.limit} alerts per ${first.per} used; held to the next working window (over: ${why})`;
        tier = 'throttle';
        winnerId = exhausted.rule.ruleId;
        outcome = 'HOLD';
        releaseAt = nextWorkingInstant(index.workingTime, latestEnd, zone, ctx.calendar);
      }
    }
  }

  const reasons: AppliedReason[] = [];
  for (const g of greens)
    reasons.push({
      source: 'green_channel',
      id: g.channel.channelId,
      name: g.channel.name,
      tier: 'green_channel',
      effect: 'notify',
      specificity: null,
      detail: `the sender carries a tag in tag group ${g.channel.tagGroupId}`,
      won: tier === 'green_channel' && winnerId === g.channel.channelId,
    });
  for (const u of unmutes)
    reasons.push({
      source: 'temporary_unmute',
      id: u.unmuteId,
      name: `unmute ${u.tagId}`,
      tier: 'temporary_unmute',
      effect: 'notify',
      specificity: null,
      detail: `tag ${u.tagId} unmuted by ${u.actorId} from ${iso(u.startsAt)} to ${iso(u.endsAt)}`,
      won: tier === 'temporary_unmute' && winnerId === u.unmuteId,
    });
  const ruleReason = (r: CompiledRule, rTier: PrecedenceTier): AppliedReason => ({
    source: 'rule',
    id: r.rule.ruleId,
    name: r.rule.name,
    tier: rTier,
    effect: r.effect,
    specificity: r.specificity,
    detail: describe(r),
    won: tier === rTier && winnerId === r.rule.ruleId,
  });
  for (const r of urgentOverrides) reasons.push(ruleReason(r, 'urgent_override'));
  for (const r of scoped) reasons.push(ruleReason(r, 'most_specific_rule'));
  for (const r of throttles) reasons.push(ruleReason(r, 'throttle'));

  return {
    outcome,
    releaseAt,
    reasons,
    winner: { tier, id: winnerId, why },
    throttles: notes,
    unmuteId,
    timeZone: zone,
    calendarGaps: [...ctx.calendar.gaps].sort(),
    snapshot: rules.position,
  };
}

type MessageContext = {
  message: MuteMessage;
  zone: string;
  /** The sender's tags and the tag groups above them. */
  senderTags: readonly string[];
  recipientDepartments: readonly string[];
  /** The recipient's departments and every department above them. */
  recipientDepartmentTree: readonly string[];
  /** The recipient's and the recipient's departments' member tags, with the groups above them. */
  recipientTags: readonly string[];
  calendar: CalendarContext;
  index: RuleIndex;
  /** This decision's stamp (de-duplication and the per-decision schedule memo). */
  stamp: number;
};

function withAncestors(tags: MuteTagView, direct: readonly string[], into: string[]): void {
  for (const tag of direct) {
    let current: string | null | undefined = tag;
    for (let depth = 0; current && depth < 32; depth += 1) {
      if (!into.includes(current)) into.push(current);
      current = tags.parentOf(current);
    }
  }
}

function messageContext(input: DecideInput, zone: string, index: RuleIndex): MessageContext {
  const { message, tags, directory } = input;
  const senderTags: string[] = [];
  const sender = message.sender;
  if (sender.kind === 'partner_staff') withAncestors(tags, tags.tagsOf('partner', sender.corpId), senderTags);
  else if (sender.kind === 'external_customer')
    withAncestors(tags, tags.tagsOf('customer', sender.customerId), senderTags);
  else withAncestors(tags, tags.tagsOf('employee', sender.employeeId), senderTags);
  if (
    message.senderCorpId !== null &&
    !(sender.kind === 'partner_staff' && sender.corpId === message.senderCorpId)
  )
    withAncestors(tags, tags.tagsOf('partner', message.senderCorpId), senderTags);

  const employee = directory.employee(message.recipientId);
  const recipientDepartments = employee ? employee.departmentIds : [];
  const recipientDepartmentTree: string[] = [];
  for (const d of recipientDepartments) {
    let current: string | null | undefined = d;
    for (let depth = 0; current && depth < 64; depth += 1) {
      if (!recipientDepartmentTree.includes(current)) recipientDepartmentTree.push(current);
      current = directory.parentOf(current);
    }
  }
  const recipientTags: string[] = [];
  withAncestors(tags, tags.tagsOf('employee', message.recipientId), recipientTags);
  for (const d of recipientDepartments) withAncestors(tags, tags.tagsOf('department', d), recipientTags);
  return {
    message,
    zone,
    senderTags,
    recipientDepartments,
    recipientDepartmentTree,
    recipientTags,
    calendar: { calendars: input.holidays, gaps: new Set() },
    index,
    stamp: (index.stamp.value = (index.stamp.value + 1) | 0) || (index.stamp.value = 1),
  };
}

const scratch: CompiledRule[] = [];

/** The rules that can concern the message: its buckets and the generic list, each rule once. */
function candidates(index: RuleIndex, ctx: MessageContext): CompiledRule[] {
  // One array reused by every decision (decide is synchronous and does not keep it): no garbage per message.
  const out = scratch;
  out.length = 0;
  const m = ctx.message;
  // Only the lane of this message's sender kind and urgency: the rules the others hold cannot apply.
  const lane = index.lanes[laneOf(m.sender.kind, m.urgency)] as RuleLane;
  addNew(out, lane.byRecipient.get(m.recipientId), index.seen, ctx.stamp);
  if (m.senderCorpId !== null) addNew(out, lane.bySenderCorp.get(m.senderCorpId), index.seen, ctx.stamp);
  for (const d of ctx.recipientDepartmentTree) addNew(out, lane.byDepartment.get(d), index.seen, ctx.stamp);
  for (const tag of ctx.senderTags) addNew(out, lane.bySenderTag.get(tag), index.seen, ctx.stamp);
  for (const tag of ctx.recipientTags) addNew(out, lane.byRecipientTag.get(tag), index.seen, ctx.stamp);
  addNew(out, lane.generic, index.seen, ctx.stamp);
  return out;
}

function addNew(
  out: CompiledRule[],
  list: readonly CompiledRule[] | undefined,
  seen: Int32Array,
  stamp: number,
): void {
  if (!list) return;
  for (let i = 0; i < list.length; i += 1) {
    const r = list[i] as CompiledRule;
    if (seen[r.index] === stamp) continue;
    seen[r.index] = stamp;
    out.push(r);
  }
}

function anyIn(wanted: readonly string[], have: readonly string[]): boolean {
  for (const w of wanted) if (have.includes(w)) return true;
  return false;
}

function conditionHolds(c: CompiledCondition, ctx: MessageContext): boolean {
  const m = ctx.message;
  if (!c.enabled) return false;
  if (m.sentAt < c.activeFrom || m.sentAt >= c.activeUntil) return false;
  if (c.urgency !== 'any' && c.urgency !== m.urgency) return false;
  if (c.senderKinds && !c.senderKinds.has(m.sender.kind)) return false;
  if (c.senderCorpIds && (m.senderCorpId === null || !c.senderCorpIds.has(m.senderCorpId))) return false;
  if (c.recipientIds && !c.recipientIds.has(m.recipientId)) return false;
  if (c.senderTagIds && !anyIn(c.senderTagIds, ctx.senderTags)) return false;
  if (
    c.recipientDepartmentIds &&
    !anyIn(
      c.recipientDepartmentIds,
      c.includeSubDepartments ? ctx.recipientDepartmentTree : ctx.recipientDepartments,
    )
  )
    return false;
  if (c.recipientTagIds && !anyIn(c.recipientTagIds, ctx.recipientTags)) return false;
  if (c.schedule) {
    // Equal schedules are evaluated once per decision (rules commonly share "19:00-09:00" or "holidays").
    const { index, stamp } = ctx;
    const id = c.scheduleId;
    if (index.scheduleSeen[id] !== stamp) {
      index.scheduleSeen[id] = stamp;
      index.scheduleValue[id] = scheduleActive(c.schedule, m.sentAt, ctx.zone, ctx.calendar) ? 1 : 0;
    }
    if (index.scheduleValue[id] === 0) return false;
  }
  return true;
}

function ruleApplies(r: CompiledRule, ctx: MessageContext): boolean {
  if (r.broken !== null) return false;
  const chain = r.chain;
  for (let i = 0; i < chain.length; i += 1)
    if (!conditionHolds(chain[i] as CompiledCondition, ctx)) return false;
  return true;
}

function explainSpecific(winner: CompiledRule, runnerUp: CompiledRule | undefined): string {
  const head = `rule '${winner.rule.name}' (${winner.effect})`;
  if (!runnerUp) return `${head} is the only mute rule that applies`;
  const other = `'${runnerUp.rule.name}' (${runnerUp.effect})`;
  if (winner.rank !== runnerUp.rank) {
    for (let i = 0; i < SPECIFICITY_DIMENSIONS.length; i += 1) {
      const a = winner.specificity[i] as number;
      const b = runnerUp.specificity[i] as number;
      if (a === b) continue;
      if (SPECIFICITY_DIMENSIONS[i] === 'nesting depth')
        return `${head} is more specific than ${other}: nested deeper (${a} > ${b})`;
      return `${head} is more specific than ${other}: it names the ${SPECIFICITY_DIMENSIONS[i]}`;
    }
  }
  if (winner.effect !== runnerUp.effect)
    return `${head} is as specific as ${other}; the quieter effect wins (hold > silent > notify)`;
  return `${head} is as specific as ${other} with the same effect; the lower rule id wins`;
}

function overridden(rules: readonly CompiledRule[]): string {
  const muting = rules.filter((r) => r.effect !== 'notify');
  return muting.length === 0 ? '' : ` (overrides ${muting.map((r) => `'${r.rule.name}'`).join(', ')})`;
}

function describe(r: CompiledRule): string {
  let text = r.detail;
  if (text === null) {
    const parts: string[] = [];
    for (const c of r.chain) {
      if (c.recipientIds) parts.push(`recipient in [${[...c.recipientIds].join(', ')}]`);
      if (c.recipientDepartmentIds)
        parts.push(
          `recipient department in [${c.recipientDepartmentIds.join(', ')}]${c.includeSubDepartments ? ' (and below)' : ''}`,
        );
      if (c.recipientTagIds) parts.push(`recipient tag in [${c.recipientTagIds.join(', ')}]`);
      if (c.senderCorpIds) parts.push(`sender enterprise in [${[...c.senderCorpIds].join(', ')}]`);
      if (c.senderTagIds) parts.push(`sender tag in [${c.senderTagIds.join(', ')}]`);
      if (c.senderKinds) parts.push(`sender kind in [${[...c.senderKinds].join(', ')}]`);
      if (c.schedule) parts.push(`schedule of '${c.rule.name}' active`);
      if (c.rule.urgency !== 'any') parts.push(`urgency ${c.rule.urgency}`);
      if (c.rule.activeUntil !== null) parts.push(`until ${iso(c.rule.activeUntil)}`);
    }
    const nesting = r.depth > 0 ? ` (nested ${r.depth} deep)` : '';
    text = `${parts.length > 0 ? parts.join('; ') : 'every message'}${nesting}`;
    r.detail = text;
  }
  return text;
}

/** A HOLD rule releases at the first working instant after its schedules (or validity) stop applying; without a
 * schedule, at the start of the next working window. */
function holdRelease(r: CompiledRule, index: RuleIndex, ctx: MessageContext): number {
  const t = ctx.message.sentAt;
  let end = Number.POSITIVE_INFINITY;
  for (const c of r.chain) {
    if (c.schedule) end = Math.min(end, scheduleEnd(c.schedule, t, ctx.zone, ctx.calendar));
    if (c.rule.activeUntil !== null) end = Math.min(end, c.rule.activeUntil);
  }
  if (end === Number.POSITIVE_INFINITY) return nextWorkingStart(index.workingTime, t, ctx.zone, ctx.calendar);
  return nextWorkingInstant(index.workingTime, end, ctx.zone, ctx.calendar);
}

function throttleKey(r: CompiledRule, m: MuteMessage): string {
  if (m.senderCorpId !== null) return `${r.rule.ruleId}|${m.senderCorpId}`;
  const s = m.sender;
  const who =
    s.kind === 'partner_staff'
      ? `partner:${s.corpId}`
      : s.kind === 'external_customer'
        ? `customer:${s.customerId}`
        : `employee:${s.employeeId}`;
  return `${r.rule.ruleId}|${who}`;
}

function throttleNote(r: CompiledRule, input: DecideInput, ctx: MessageContext): ThrottleNote {
  const throttle = r.throttle as NonNullable<CompiledRule['throttle']>;
  const t = ctx.message.sentAt;
  let periodStart: number;
  let periodEnd: number;
  if (throttle.per === 'hour') {
    // The recipient's local clock hour (zones at :30 and :45 offsets included).
    const local = t + offsetAt(ctx.zone, t);
    periodStart = t - (((local % HOUR_MS) + HOUR_MS) % HOUR_MS);
    periodEnd = periodStart + HOUR_MS;
  } else {
    const day = localDay(ctx.zone, t);
    periodStart = resolveLocal(ctx.zone, day, 0);
    periodEnd = resolveLocal(ctx.zone, day + 1, 0);
  }
  const key = throttleKey(r, ctx.message);
  const alertsBefore = input.throttle.alerts(ctx.message.recipientId, key, periodStart);
  return {
    ruleId: r.rule.ruleId,
    key,
    per: throttle.per,
    periodStart,
    periodEnd,
    limit: throttle.limit,
    alertsBefore,
    exhausted: alertsBefore >= throttle.limit,
  };
}

/** An instant for a reason text; one outside Date's range (a far-future sentinel) stays a number. */
function iso(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

/** How many rules the index hands a decision for this message (benchmarks report it: no scan of all rules). */
export function countCandidates(input: DecideInput): number {
  const index = ruleIndex(input.rules);
  const zone =
    input.rules.settings.timeZones.get(input.message.recipientId) ?? input.rules.settings.defaultTimeZone;
  return candidates(index, messageContext(input, zone, index)).length;
}
