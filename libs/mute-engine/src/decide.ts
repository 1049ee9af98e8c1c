import {
  type CompiledCondition,
  type CompiledGreenChannel,
  type CompiledRule,
  KIND_SCOPED,
  KIND_THROTTLE,
  KIND_URGENT,
  kindOf,
  laneOf,
  OP_CORP,
  OP_DEPARTMENT,
  OP_DEPARTMENT_TREE,
  OP_RECIPIENT,
  OP_RECIPIENT_TAG,
  OP_SCHEDULE,
  OP_SENDER_TAG,
  OP_TIME,
  type RuleIndex,
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
  type CompiledSchedule,
  nextWorkingInstant,
  nextWorkingInstantKept,
  nextWorkingStart,
  nextWorkingStartKept,
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
  const { message, rules } = input;
  const index = ruleIndex(rules);
  const zones = rules.settings.timeZones;
  const zone =
    (zones.size === 0 ? undefined : zones.get(message.recipientId)) ?? rules.settings.defaultTimeZone;
  const ctx = messageContext(input, zone, index);
  const t = message.sentAt;
  const greens = greensOf(index, ctx);
  const unmutes = unmutesOf(input, ctx, t);

  const count = matchIndexed(index, ctx);
  const order = sortApplied(index, count);
  // The applying rules' tiers read as integers (kindByPrecedence); the decision needs the first urgent override,
  // the first two scoped rules (winner and runner-up) and whether a throttle applies. Rule objects are read only
  // for the rules the decision names.
  const kinds = index.kindByPrecedence;
  let firstUrgent = -1;
  let scoped0 = -1;
  let scoped1 = -1;
  let urgents = 0;
  let throttles = 0;
  for (let i = 0; i < count; i += 1) {
    const p = order[i] as number;
    const kind = kinds[p] as number;
    if (kind === THROTTLE) throttles += 1;
    else if (kind === URGENT) {
      if (urgents === 0) firstUrgent = p;
      urgents += 1;
    } else if (scoped0 < 0) scoped0 = p;
    else if (scoped1 < 0) scoped1 = p;
  }

  const byPrecedence = index.byPrecedence;
  let tier: PrecedenceTier;
  let winnerId: string | null = null;
  // The winning rule itself (rule tiers): a reason has won when it is this rule (ids are unique in a rule set).
  let winnerRule: CompiledRule | null = null;
  let why: string;
  let outcome: MuteDecision['outcome'] = 'NOTIFY';
  let releaseAt: number | null = null;
  let notes: ThrottleNote[] | null = null;
  let unmuteId: string | null = null;

  if (greens.length > 0) {
    const g = greens[0] as CompiledGreenChannel;
    tier = 'green_channel';
    winnerId = g.channel.channelId;
    why = `green channel '${g.channel.name}' (tag group ${g.channel.tagGroupId}) bypasses every mute${overriddenOf(index, count, null)}`;
  } else if (unmutes.length > 0) {
    const u = unmutes[0] as TemporaryUnmute;
    tier = 'temporary_unmute';
    winnerId = u.unmuteId;
    unmuteId = u.unmuteId;
    why = `tag ${u.tagId} is temporarily unmuted by ${u.actorId} until ${iso(u.endsAt)}${overriddenOf(index, count, null)}`;
  } else if (firstUrgent >= 0) {
    const r = byPrecedence[firstUrgent] as CompiledRule;
    tier = 'urgent_override';
    winnerId = r.id;
    winnerRule = r;
    why = `urgent message: rule '${r.name}' lets urgent messages through${overriddenOf(index, count, r)}`;
  } else {
    if (scoped0 >= 0) {
      const winner = byPrecedence[scoped0] as CompiledRule;
      tier = 'most_specific_rule';
      winnerId = winner.id;
      winnerRule = winner;
      why = whySpecific(winner, scoped1 < 0 ? undefined : (byPrecedence[scoped1] as CompiledRule));
      if (winner.effect === 'silent') outcome = 'SILENT';
      else if (winner.effect === 'hold') {
        outcome = 'HOLD';
        releaseAt = holdReleaseKept(scoped0, index, ctx);
      }
    } else {
      tier = 'default';
      why = 'no rule applies: notify';
    }
    if (outcome === 'NOTIFY' && throttles > 0) {
      notes = [];
      let exhausted: CompiledRule | null = null;
      let first: ThrottleNote | null = null;
      let latestEnd = 0;
      for (let i = 0; i < count; i += 1) {
        const p = order[i] as number;
        if (kinds[p] !== THROTTLE) continue;
        const r = byPrecedence[p] as CompiledRule;
        const note = throttleNote(r, input, ctx);
        notes.push(note);
        if (note.exhausted) {
          if (exhausted === null) {
            exhausted = r;
            first = note;
          }
          latestEnd = Math.max(latestEnd, note.periodEnd);
        }
      }
      if (exhausted !== null && first !== null) {
        why = `throttle '${exhausted.rule.name}': ${first.alertsBefore} of ${first.limit} alerts per ${first.per} used; held to the next working window (over: ${why})`;
        tier = 'throttle';
        winnerId = exhausted.rule.ruleId;
        winnerRule = exhausted;
        outcome = 'HOLD';
        releaseAt = nextWorkingInstantKept(index.workingTime, latestEnd, zone, ctx.calendar);
      }
    }
  }

  // The reasons in precedence order: green channels, unmutes, then the applying rules tier by tier. A rule's or a
  // channel's reason depends only on it and on whether it won, so each is built once per snapshot and shared.
  const reasons: AppliedReason[] = [];
  for (let i = 0; i < greens.length; i += 1) {
    const g = greens[i] as CompiledGreenChannel;
    reasons.push(greenReason(g, tier === 'green_channel' && winnerId === g.channel.channelId));
  }
  for (let i = 0; i < unmutes.length; i += 1) {
    const u = unmutes[i] as TemporaryUnmute;
    reasons.push(unmuteReason(u, tier === 'temporary_unmute' && winnerId === u.unmuteId));
  }
  // A rule reason has won when its rule is the winner and the winner's tier is the rule's (always so: the
  // winning rule of a rule tier is of that tier's kind).
  const urgentWinner = tier === 'urgent_override' ? winnerRule : null;
  const scopedWinner = tier === 'most_specific_rule' ? winnerRule : null;
  const throttleWinner = tier === 'throttle' ? winnerRule : null;
  if (urgents > 0)
    for (let i = 0; i < count; i += 1) {
      const p = order[i] as number;
      if (kinds[p] === URGENT) reasons.push(sharedRuleReason(index, p, urgentWinner));
    }
  if (count > urgents + throttles)
    for (let i = 0; i < count; i += 1) {
      const p = order[i] as number;
      if (kinds[p] === SCOPED) reasons.push(sharedRuleReason(index, p, scopedWinner));
    }
  if (throttles > 0)
    for (let i = 0; i < count; i += 1) {
      const p = order[i] as number;
      if (kinds[p] === THROTTLE) reasons.push(sharedRuleReason(index, p, throttleWinner));
    }

  return {
    outcome,
    releaseAt,
    reasons,
    winner: { tier, id: winnerId, why },
    throttles: notes === null || notes.length === 0 ? NO_NOTES : notes,
    unmuteId,
    timeZone: zone,
    calendarGaps: ctx.calendar.gaps.size === 0 ? NO_GAPS : [...ctx.calendar.gaps].sort(),
    snapshot: rules.position,
  };
}

/**
 * The same decision by the straightforward evaluation: every rule of the set checked, condition by condition, on
 * the rules' own scopes (arrays of strings) and schedules, without the index's buckets, lanes, key numbers or
 * programs, and explained the straightforward way (every reason and text built afresh). The oracle the index's
 * equivalence property (decide.property.spec.ts) compares decide() against. Not for production: it scans the
 * whole rule set.
 */
export function decideReference(input: DecideInput): MuteDecision {
  const { message, rules } = input;
  const index = ruleIndex(rules);
  const zone = rules.settings.timeZones.get(message.recipientId) ?? rules.settings.defaultTimeZone;
  const ctx = messageContext(input, zone, index);
  const t = message.sentAt;
  const greens = greensOf(index, ctx);
  const unmutes = unmutesOf(input, ctx, t);

  const count = matchEveryRule(index, ctx);
  const order = sortApplied(index, count);
  const applied: CompiledRule[] = [];
  for (let i = 0; i < count; i += 1) applied.push(index.byPrecedence[order[i] as number] as CompiledRule);
  // The applying rules fall into three tiers (kindOf); the decision needs the first urgent override, the first
  // two scoped rules (winner and runner-up) and whether a throttle applies; the reasons list each tier in order.
  let firstUrgent: CompiledRule | null = null;
  let scoped0: CompiledRule | undefined;
  let scoped1: CompiledRule | undefined;
  let anyThrottle = false;
  for (let i = 0; i < applied.length; i += 1) {
    const r = applied[i] as CompiledRule;
    const kind = kindOf(r);
    if (kind === THROTTLE) anyThrottle = true;
    else if (kind === URGENT) firstUrgent ??= r;
    else if (scoped0 === undefined) scoped0 = r;
    else scoped1 ??= r;
  }

  let tier: PrecedenceTier;
  let winnerId: string | null = null;
  // The winning rule itself (rule tiers): a reason has won when it is this rule (ids are unique in a rule set).
  let winnerRule: CompiledRule | null = null;
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
  } else if (firstUrgent !== null) {
    const r = firstUrgent;
    tier = 'urgent_override';
    winnerId = r.id;
    winnerRule = r;
    why = `urgent message: rule '${r.name}' lets urgent messages through${overridden(applied, r)}`;
  } else {
    const winner = scoped0;
    if (winner) {
      tier = 'most_specific_rule';
      winnerId = winner.id;
      winnerRule = winner;
      why = explainSpecific(winner, scoped1);
      if (winner.effect === 'silent') outcome = 'SILENT';
      else if (winner.effect === 'hold') {
        outcome = 'HOLD';
        releaseAt = holdRelease(winner, index, ctx);
      }
    } else {
      tier = 'default';
      why = 'no rule applies: notify';
    }
    if (outcome === 'NOTIFY' && anyThrottle) {
      let exhausted: CompiledRule | null = null;
      let latestEnd = 0;
      for (const r of applied) {
        if (kindOf(r) !== THROTTLE) continue;
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
        winnerRule = exhausted;
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
  for (const r of applied)
    if (kindOf(r) === URGENT) reasons.push(ruleReason(r, 'urgent_override', tier, winnerRule));
  for (const r of applied)
    if (kindOf(r) === SCOPED) reasons.push(ruleReason(r, 'most_specific_rule', tier, winnerRule));
  if (anyThrottle)
    for (const r of applied)
      if (kindOf(r) === THROTTLE) reasons.push(ruleReason(r, 'throttle', tier, winnerRule));

  return {
    outcome,
    releaseAt,
    reasons,
    winner: { tier, id: winnerId, why },
    throttles: notes.length === 0 ? NO_NOTES : notes,
    unmuteId,
    timeZone: zone,
    calendarGaps: ctx.calendar.gaps.size === 0 ? NO_GAPS : [...ctx.calendar.gaps].sort(),
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
  /** This decision's stamp (de-duplication, key marks and the per-decision schedule memo). */
  stamp: number;
  /** How many rules the match considered (benchmarks report it). */
  candidates: number;
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

const NO_GAPS: readonly string[] = Object.freeze([]);

// Local copies: an imported binding is read through a getter on every use.
const URGENT = KIND_URGENT;
const SCOPED = KIND_SCOPED;
const THROTTLE = KIND_THROTTLE;

// Never pushed to (greensOf and unmutesOf replace them with a fresh array first).
const NONE_GREEN: CompiledGreenChannel[] = [];
const NONE_UNMUTE: TemporaryUnmute[] = [];
const NO_NOTES: readonly ThrottleNote[] = Object.freeze([]);

function ruleReason(
  r: CompiledRule,
  rTier: PrecedenceTier,
  tier: PrecedenceTier,
  winner: CompiledRule | null,
  won: boolean = tier === rTier && winner === r,
): AppliedReason {
  return {
    source: 'rule',
    id: r.id,
    name: r.name,
    tier: rTier,
    effect: r.effect,
    specificity: r.specificity,
    detail: describe(r),
    won,
  };
}
/** The green channels whose tag group the sender carries (and whose recipient scope holds), in tag order. */
function greensOf(index: RuleIndex, ctx: MessageContext): CompiledGreenChannel[] {
  // Usually none: the shared empty list unless one applies.
  let greens: CompiledGreenChannel[] = NONE_GREEN;
  if (index.greenByGroup.size > 0)
    for (const tag of ctx.senderTags) {
      const channels = index.greenByGroup.get(tag);
      if (channels)
        for (const g of channels)
          if (!g.recipient || conditionHolds(g.recipient, ctx)) {
            if (greens === NONE_GREEN) greens = [];
            greens.push(g);
          }
    }
  return greens;
}

/** The unmutes in force at t whose tag the sender or the recipient carries, in input order. */
function unmutesOf(input: DecideInput, ctx: MessageContext, t: number): TemporaryUnmute[] {
  let unmutes: TemporaryUnmute[] = NONE_UNMUTE;
  for (const u of input.unmutes) {
    if (
      u.startsAt <= t &&
      t < u.endsAt &&
      (ctx.senderTags.includes(u.tagId) || ctx.recipientTags.includes(u.tagId))
    ) {
      if (unmutes === NONE_UNMUTE) unmutes = [];
      unmutes.push(u);
    }
  }
  return unmutes;
}

/** Insertion sort of the applying rules' precedence positions (compile.ts byPrecedence) in appliedScratch: the
 * same order as sorting the rules with the comparator, on integers, before any rule object is read. */
function sortApplied(index: RuleIndex, count: number): Int32Array {
  const order = index.appliedScratch;
  for (let i = 1; i < count; i += 1) {
    const p = order[i] as number;
    let j = i - 1;
    while (j >= 0 && (order[j] as number) > p) {
      order[j + 1] = order[j] as number;
      j -= 1;
    }
    order[j + 1] = p;
  }
  return order;
}

/** overridden() over the sorted applying rules in appliedScratch (decide), on index.overrideNames. */
function overriddenOf(index: RuleIndex, count: number, except: CompiledRule | null): string {
  const order = index.appliedScratch;
  const quoted = index.overrideNames;
  const skip = except === null ? -1 : except.precedence;
  let names = '';
  for (let i = 0; i < count; i += 1) {
    const p = order[i] as number;
    if (p === skip) continue;
    let name = quoted[p];
    if (name === null || name === undefined) {
      const r = index.byPrecedence[p] as CompiledRule;
      name = r.effect === 'notify' ? '' : `'${r.name}'`;
      quoted[p] = name;
    }
    if (name !== '') names = names === '' ? name : `${names}, ${name}`;
  }
  return names === '' ? '' : ` (overrides ${names})`;
}

/**
 * explainSpecific's text from the parts kept on the two rules. The first specificity dimension where they differ
 * is read off their ranks (compile.ts: the seven flags most significant first, then the depth), not off their
 * specificity arrays: with equal flags a different rank means a different depth.
 */
function whySpecific(winner: CompiledRule, runnerUp: CompiledRule | undefined): string {
  if (runnerUp === undefined) return (winner.whyAlone ??= explainSpecific(winner, undefined));
  const head = (winner.whyHead ??= `rule '${winner.name}' (${winner.effect})`);
  const other = (runnerUp.whyOther ??= `'${runnerUp.name}' (${runnerUp.effect})`);
  if (winner.rank !== runnerUp.rank) {
    const flags = Math.floor(winner.rank / 1024) ^ Math.floor(runnerUp.rank / 1024);
    if (flags === 0)
      return `${head} is more specific than ${other}: nested deeper (${winner.depth} > ${runnerUp.depth})`;
    // The highest differing bit of the seven flags is dimension 6 - bit.
    const dimension = SPECIFICITY_DIMENSIONS[6 - (31 - Math.clz32(flags))] as string;
    return `${head} is more specific than ${other}: it names the ${dimension}`;
  }
  if (winner.effect !== runnerUp.effect)
    return `${head} is as specific as ${other}; the quieter effect wins (hold > silent > notify)`;
  return `${head} is as specific as ${other} with the same effect; the lower rule id wins`;
}

/** ruleReason() built once per rule and outcome (won or not), frozen: decisions share it. A loser's is read
 * from the dense index.lostReasons by precedence position, without touching the rule object. */
function sharedRuleReason(index: RuleIndex, p: number, winner: CompiledRule | null): AppliedReason {
  if (winner !== null && winner.precedence === p)
    return (winner.wonReason ??= Object.freeze(
      ruleReason(winner, tierOfKind(winner), 'default', null, true),
    ));
  const reason = index.lostReasons[p];
  if (reason !== null && reason !== undefined) return reason;
  const r = index.byPrecedence[p] as CompiledRule;
  const built = Object.freeze(ruleReason(r, tierOfKind(r), 'default', null, false));
  index.lostReasons[p] = built;
  return built;
}

function tierOfKind(r: CompiledRule): PrecedenceTier {
  const kind = kindOf(r);
  return kind === URGENT ? 'urgent_override' : kind === THROTTLE ? 'throttle' : 'most_specific_rule';
}

function greenReason(g: CompiledGreenChannel, won: boolean): AppliedReason {
  if (won) return (g.wonReason ??= Object.freeze(freshGreenReason(g, true)));
  return (g.lostReason ??= Object.freeze(freshGreenReason(g, false)));
}

function freshGreenReason(g: CompiledGreenChannel, won: boolean): AppliedReason {
  return {
    source: 'green_channel',
    id: g.channel.channelId,
    name: g.channel.name,
    tier: 'green_channel',
    effect: 'notify',
    specificity: null,
    detail: `the sender carries a tag in tag group ${g.channel.tagGroupId}`,
    won,
  };
}

function unmuteReason(u: TemporaryUnmute, won: boolean): AppliedReason {
  return {
    source: 'temporary_unmute',
    id: u.unmuteId,
    name: `unmute ${u.tagId}`,
    tier: 'temporary_unmute',
    effect: 'notify',
    specificity: null,
    detail: `tag ${u.tagId} unmuted by ${u.actorId} from ${iso(u.startsAt)} to ${iso(u.endsAt)}`,
    won,
  };
}

// One calendar context reused by every decision: decide is synchronous and its answer keeps none of it
// (calendarGaps is copied out). (Scratch arrays are not reused: setting a V8 array's length to 0 drops its
// storage, so a fresh small array costs no more.)
const scratchCalendar: CalendarContext = { calendars: new Map(), gaps: new Set() };

function nextStamp(index: RuleIndex): number {
  let stamp = (index.stamp.value + 1) | 0;
  if (stamp === 0) {
    // Wrapped around: no mark may still carry a stamp that is about to be reused.
    stamp = 1;
    for (const a of [index.seen, index.scheduleSeen, index.mark, index.directMark]) a.fill(0);
  }
  index.stamp.value = stamp;
  return stamp;
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

  scratchCalendar.calendars = input.holidays;
  // (clear() allocates a new table even on an empty Set.)
  if (scratchCalendar.gaps.size > 0) scratchCalendar.gaps.clear();
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
    calendar: scratchCalendar,
    index,
    stamp: nextStamp(index),
    candidates: 0,
  };
}

/**
 * The indexed match (compile.ts, D111): the message's keys looked up once each (a key number), marked, and then
 * the span of each key read front to back, each entry in the message's lane having its checks run in place (D116).
 */
function matchIndexed(index: RuleIndex, ctx: MessageContext): number {
  const m = ctx.message;
  const lane = laneOf(m.sender.kind, m.urgency);
  const stamp = ctx.stamp;
  const mark = index.mark;
  // The key numbers found (each at most once: the department tree and the tag lists hold no repeats).
  const found = index.keyScratch;
  let count = 0;
  const recipientKey = index.recipientKeys.get(m.recipientId) ?? -1;
  if (recipientKey >= 0) found[count++] = recipientKey;
  let corpKey = -1;
  if (m.senderCorpId !== null) {
    corpKey = index.corpKeys.get(m.senderCorpId) ?? -1;
    if (corpKey >= 0) found[count++] = corpKey;
  }
  const direct = ctx.recipientDepartments;
  const tree = ctx.recipientDepartmentTree;
  const directKeys = index.departmentDirectKeys;
  for (let i = 0; i < tree.length; i += 1) {
    const d = tree[i] as string;
    const own = direct.includes(d);
    const k = index.departmentKeys.get(d);
    if (k !== undefined) {
      mark[k] = stamp;
      if (own) index.directMark[k] = stamp;
      found[count++] = k;
    }
    // The rules that name d without the departments below it, only for the recipient's own departments (the
    // tree holds no repeats, so each such key is found once).
    if (own && directKeys.size > 0) {
      const kd = directKeys.get(d);
      if (kd !== undefined) found[count++] = kd;
    }
  }
  const senderTags = ctx.senderTags;
  for (let i = 0; i < senderTags.length; i += 1) {
    const k = index.senderTagKeys.get(senderTags[i] as string);
    if (k === undefined) continue;
    mark[k] = stamp;
    found[count++] = k;
  }
  const recipientTags = ctx.recipientTags;
  for (let i = 0; i < recipientTags.length; i += 1) {
    const k = index.recipientTagKeys.get(recipientTags[i] as string);
    if (k === undefined) continue;
    mark[k] = stamp;
    found[count++] = k;
  }
  found[count++] = index.genericKey;
  const spans = index.spans;
  const lists = index.lists;
  const seen = index.seen;
  const applied = index.appliedScratch;
  let candidates = 0;
  let hits = 0;
  const inLane = 2 << lane;
  for (let f = 0; f < count; f += 1) {
    const slot = (found[f] as number) * 2;
    let at = spans[slot] as number;
    const end = spans[slot + 1] as number;
    while (at < end) {
      const flags = lists[at + 1] as number;
      const next = lists[at + 2] as number;
      // Not in this message's lane (compile.ts): its sender kind or urgency rules the rule out.
      if ((flags & inLane) === 0) {
        at = next;
        continue;
      }
      const r = lists[at] as number;
      if ((flags & 1) === 1) {
        if (seen[r] === stamp) {
          at = next;
          continue;
        }
        seen[r] = stamp;
      }
      candidates += 1;
      if (checksHold(index, lists, at + 3, next, ctx, recipientKey, corpKey)) applied[hits++] = r;
      at = next;
    }
  }
  ctx.candidates = candidates;
  return hits;
}

function anyIs(p: Int32Array, from: number, to: number, key: number): boolean {
  for (let k = from; k < to; k += 1) if (p[k] === key) return true;
  return false;
}

function anyMarked(p: Int32Array, from: number, to: number, marks: Int32Array, stamp: number): boolean {
  for (let k = from; k < to; k += 1) if (marks[p[k] as number] === stamp) return true;
  return false;
}

// Local copies of compile.ts's check codes: an imported binding is read through a getter on every use, and this
// switch runs for every check of every candidate.
const TIME = OP_TIME;
const CORP = OP_CORP;
const RECIPIENT = OP_RECIPIENT;
const SENDER_TAG = OP_SENDER_TAG;
const DEPARTMENT = OP_DEPARTMENT;
const DEPARTMENT_TREE = OP_DEPARTMENT_TREE;
const RECIPIENT_TAG = OP_RECIPIENT_TAG;
const SCHEDULE = OP_SCHEDULE;

/** Runs one entry's checks (compile.ts OP_*) in lists[from, end): every check must hold. */
function checksHold(
  index: RuleIndex,
  p: Int32Array,
  from: number,
  end: number,
  ctx: MessageContext,
  recipientKey: number,
  corpKey: number,
): boolean {
  const stamp = ctx.stamp;
  let i = from;
  while (i < end) {
    const op = p[i] as number;
    const a = i + 2;
    const b = a + (p[i + 1] as number);
    i = b;
    switch (op) {
      case TIME: {
        const at = (p[a] as number) * 2;
        const t = ctx.message.sentAt;
        if (t < (index.bounds[at] as number) || t >= (index.bounds[at + 1] as number)) return false;
        break;
      }
      case CORP:
        if (!anyIs(p, a, b, corpKey)) return false;
        break;
      case RECIPIENT:
        if (!anyIs(p, a, b, recipientKey)) return false;
        break;
      case SENDER_TAG:
      case DEPARTMENT_TREE:
      case RECIPIENT_TAG:
        if (!anyMarked(p, a, b, index.mark, stamp)) return false;
        break;
      case DEPARTMENT:
        if (!anyMarked(p, a, b, index.directMark, stamp)) return false;
        break;
      case SCHEDULE:
        if (!scheduleHolds(p[a] as number, ctx)) return false;
        break;
    }
  }
  return true;
}

/** Equal schedules are evaluated once per decision (rules commonly share "19:00-09:00" or "holidays"). */
function scheduleHolds(id: number, ctx: MessageContext): boolean {
  const index = ctx.index;
  if (index.scheduleSeen[id] !== ctx.stamp) {
    index.scheduleSeen[id] = ctx.stamp;
    index.scheduleValue[id] = scheduleActive(
      index.schedules[id] as CompiledSchedule,
      ctx.message.sentAt,
      ctx.zone,
      ctx.calendar,
    )
      ? 1
      : 0;
  }
  return index.scheduleValue[id] === 1;
}

/** The straightforward match (decideReference): every rule, condition by condition, on its own scope. */
function matchEveryRule(index: RuleIndex, ctx: MessageContext): number {
  let count = 0;
  for (const r of index.rules) if (referenceApplies(r, ctx)) index.appliedScratch[count++] = r.precedence;
  ctx.candidates = index.rules.length;
  return count;
}

function has(values: readonly string[] | undefined, value: string | null): boolean {
  return values === undefined || values.length === 0 || (value !== null && values.includes(value));
}

function anyOf(values: readonly string[] | undefined, have: readonly string[]): boolean {
  return values === undefined || values.length === 0 || values.some((v) => have.includes(v));
}

/**
 * A rule applies when it is sound (compile.ts: no missing parent, cycle or malformed schedule), every rule of its
 * chain is enabled and admits the message's sender kind and urgency, and then, condition by condition (own first,
 * ancestors next), its time bounds, enterprise, recipient, sender tags, departments and recipient tags hold, and
 * then the chain's schedules. (A rule ruled out by any other condition never has its schedules evaluated, so it
 * notes no calendar gaps.)
 */
function referenceApplies(r: CompiledRule, ctx: MessageContext): boolean {
  const m = ctx.message;
  if (r.broken !== null) return false;
  for (const c of r.chain) {
    const rule = c.rule;
    if (!rule.enabled) return false;
    if (rule.urgency !== 'any' && rule.urgency !== m.urgency) return false;
    if (!has(rule.scope.senderKinds, m.sender.kind)) return false;
  }
  for (const c of r.chain) {
    const rule = c.rule;
    const scope = rule.scope;
    if (rule.activeFrom !== null && m.sentAt < rule.activeFrom) return false;
    if (rule.activeUntil !== null && m.sentAt >= rule.activeUntil) return false;
    if (!has(scope.senderCorpIds, m.senderCorpId)) return false;
    if (!has(scope.recipientIds, m.recipientId)) return false;
    if (!anyOf(scope.senderTagIds, ctx.senderTags)) return false;
    const departments = scope.includeSubDepartments ? ctx.recipientDepartmentTree : ctx.recipientDepartments;
    if (!anyOf(scope.recipientDepartmentIds, departments)) return false;
    if (!anyOf(scope.recipientTagIds, ctx.recipientTags)) return false;
  }
  // Schedules only once every other condition of the chain holds (own first, ancestors next).
  for (const c of r.chain)
    if (c.schedule && !scheduleActive(c.schedule, m.sentAt, ctx.zone, ctx.calendar)) return false;
  return true;
}

function anyIn(wanted: readonly string[], have: readonly string[]): boolean {
  for (const w of wanted) if (have.includes(w)) return true;
  return false;
}

/** A green channel's recipient scope (the index compiles it as a condition). */
function conditionHolds(c: CompiledCondition, ctx: MessageContext): boolean {
  const m = ctx.message;
  if (c.recipientIds && !c.recipientIds.has(m.recipientId)) return false;
  if (
    c.recipientDepartmentIds &&
    !anyIn(
      c.recipientDepartmentIds,
      c.includeSubDepartments ? ctx.recipientDepartmentTree : ctx.recipientDepartments,
    )
  )
    return false;
  if (c.recipientTagIds && !anyIn(c.recipientTagIds, ctx.recipientTags)) return false;
  return true;
}

function explainSpecific(winner: CompiledRule, runnerUp: CompiledRule | undefined): string {
  const head = `rule '${winner.name}' (${winner.effect})`;
  if (!runnerUp) return `${head} is the only mute rule that applies`;
  const other = `'${runnerUp.name}' (${runnerUp.effect})`;
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

/** The muting rules a green channel, unmute or urgent override beat (`except`: the winner itself). */
function overridden(rules: readonly CompiledRule[], except: CompiledRule | null = null): string {
  let names = '';
  for (let i = 0; i < rules.length; i += 1) {
    const r = rules[i] as CompiledRule;
    if (r !== except && r.effect !== 'notify') names += names === '' ? `'${r.name}'` : `, '${r.name}'`;
  }
  return names === '' ? '' : ` (overrides ${names})`;
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

/** holdRelease with the working days kept (schedule.ts workingDayOf), for the rule at precedence position p, its
 * chain's bounds and schedules read from the index's dense arrays (compile.ts releaseUntil, releaseIds): no rule,
 * chain or condition object is read. The chain's schedule ends are all taken (each notes its calendar gaps), in
 * chain order, and the earliest wins, as in holdRelease. */
function holdReleaseKept(p: number, index: RuleIndex, ctx: MessageContext): number {
  const t = ctx.message.sentAt;
  let end = index.releaseUntil[p] as number;
  const ids = index.releaseIds;
  const to = index.releaseFrom[p + 1] as number;
  for (let k = index.releaseFrom[p] as number; k < to; k += 1)
    end = Math.min(
      end,
      scheduleEnd(index.schedules[ids[k] as number] as CompiledSchedule, t, ctx.zone, ctx.calendar),
    );
  if (end === Number.POSITIVE_INFINITY)
    return nextWorkingStartKept(index.workingTime, t, ctx.zone, ctx.calendar);
  return nextWorkingInstantKept(index.workingTime, end, ctx.zone, ctx.calendar);
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
  const ctx = messageContext(input, zone, index);
  matchIndexed(index, ctx);
  return ctx.candidates;
}
