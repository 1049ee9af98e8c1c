import { muteDecideV1, muteRuleV1, muteTypesV1, parseRfc3339 } from '@tagguard/contracts';
import type {
  GreenChannel,
  MuteMessage,
  MuteRule,
  RuleEffect,
  RuleScope,
  Schedule,
  SchedulePart,
  SenderKind,
  Weekday,
} from '@tagguard/mute-engine';
import type { RecordedDecision } from './messages/domain/message.decider';
import { invalid } from './write/mute.errors';

// Proto ↔ domain, explicitly. Fields that fail here are named by their domain path (the edge maps it to the
// proto's snake_case).

const K = muteTypesV1.SenderKind;
const U = muteTypesV1.Urgency;
const E = muteRuleV1.RuleEffect;

const SENDER_KINDS: Record<string, SenderKind> = {
  [K.SENDER_KIND_PARTNER_STAFF]: 'partner_staff',
  [K.SENDER_KIND_EXTERNAL_CUSTOMER]: 'external_customer',
  [K.SENDER_KIND_EMPLOYEE]: 'employee',
};
const KIND_OUT: Record<SenderKind, muteTypesV1.SenderKind> = {
  partner_staff: K.SENDER_KIND_PARTNER_STAFF,
  external_customer: K.SENDER_KIND_EXTERNAL_CUSTOMER,
  employee: K.SENDER_KIND_EMPLOYEE,
};
const EFFECTS: Record<string, RuleEffect> = {
  [E.RULE_EFFECT_NOTIFY]: 'notify',
  [E.RULE_EFFECT_SILENT]: 'silent',
  [E.RULE_EFFECT_HOLD]: 'hold',
  [E.RULE_EFFECT_THROTTLE]: 'throttle',
};
const EFFECT_OUT: Record<RuleEffect, muteRuleV1.RuleEffect> = {
  notify: E.RULE_EFFECT_NOTIFY,
  silent: E.RULE_EFFECT_SILENT,
  hold: E.RULE_EFFECT_HOLD,
  throttle: E.RULE_EFFECT_THROTTLE,
};

/** An RFC 3339 instant as epoch ms; empty: null. */
export function instantIn(value: string | null | undefined, field: string): number | null {
  if (!value) return null;
  const ms = parseRfc3339(value);
  if (ms === undefined)
    throw invalid(field, 'must be an RFC 3339 instant with a zone, e.g. 2026-12-31T16:00:00Z');
  return ms;
}

const instantOut = (ms: number | null): string => (ms === null ? '' : new Date(ms).toISOString());
const list = (values: readonly string[] | null | undefined): string[] => [...(values ?? [])];

function scopeIn(s: muteTypesV1.RuleScope | null | undefined): RuleScope {
  if (!s) return {};
  return {
    senderKinds: list(s.senderKinds).map((k, i) => {
      const kind = SENDER_KINDS[k];
      if (!kind)
        throw invalid(`rule.scope.senderKinds[${i}]`, 'must be a SENDER_KIND_ value other than UNSPECIFIED');
      return kind;
    }),
    senderCorpIds: list(s.senderCorpIds),
    senderTagIds: list(s.senderTagIds),
    recipientIds: list(s.recipientIds),
    recipientDepartmentIds: list(s.recipientDepartmentIds),
    includeSubDepartments: !!s.includeSubDepartments,
    recipientTagIds: list(s.recipientTagIds),
  };
}

function partIn(p: muteRuleV1.SchedulePart, field: string): SchedulePart {
  if (p.weekly) {
    const w = p.weekly;
    const on =
      w.on === muteRuleV1.DayFilter.DAY_FILTER_WORKING_DAYS
        ? 'working_days'
        : w.on === muteRuleV1.DayFilter.DAY_FILTER_NON_WORKING_DAYS
          ? 'non_working_days'
          : undefined;
    return {
      kind: 'weekly',
      ...(w.days && w.days.length > 0 ? { days: w.days as Weekday[] } : {}),
      ...(on ? { on } : {}),
      start: w.start,
      end: w.end,
    };
  }
  if (p.dates) return { kind: 'dates', from: p.dates.from, to: p.dates.to };
  if (p.holidays) return { kind: 'holidays' };
  if (p.nonWorkingDays) return { kind: 'non_working_days' };
  throw invalid(field, 'must set one of weekly, dates, holidays, non_working_days');
}

function scheduleIn(s: muteRuleV1.Schedule | null | undefined): Schedule | null {
  if (!s) return null;
  return {
    parts: list(s.parts as never).map((p, i) =>
      partIn(p as unknown as muteRuleV1.SchedulePart, `rule.schedule.parts[${i}]`),
    ),
    calendar: s.calendar || null,
    timeZone: s.timeZone || null,
  };
}

export function ruleIn(r: muteRuleV1.Rule | null | undefined): MuteRule {
  if (!r) throw invalid('rule', 'is required');
  const effect = EFFECTS[r.effect];
  if (!effect) throw invalid('rule.effect', 'must be RULE_EFFECT_NOTIFY, _SILENT, _HOLD or _THROTTLE');
  let throttle: MuteRule['throttle'] = null;
  if (r.throttle) {
    const per =
      r.throttle.per === muteRuleV1.ThrottlePeriod.THROTTLE_PERIOD_HOUR
        ? 'hour'
        : r.throttle.per === muteRuleV1.ThrottlePeriod.THROTTLE_PERIOD_DAY
          ? 'day'
          : undefined;
    if (!per) throw invalid('rule.throttle.per', 'must be THROTTLE_PERIOD_HOUR or THROTTLE_PERIOD_DAY');
    throttle = { limit: r.throttle.limit, per };
  }
  return {
    ruleId: r.ruleId,
    parentId: r.parentId || null,
    name: r.name,
    scope: scopeIn(r.scope),
    urgency: r.urgency === U.URGENCY_NORMAL ? 'normal' : r.urgency === U.URGENCY_URGENT ? 'urgent' : 'any',
    schedule: scheduleIn(r.schedule),
    activeFrom: instantIn(r.activeFrom, 'rule.activeFrom'),
    activeUntil: instantIn(r.activeUntil, 'rule.activeUntil'),
    effect,
    throttle,
    enabled: !r.disabled,
  };
}

export function ruleOut(rule: MuteRule): muteRuleV1.Rule {
  const s = rule.scope;
  return {
    ruleId: rule.ruleId,
    parentId: rule.parentId ?? '',
    name: rule.name,
    scope: {
      senderKinds: (s.senderKinds ?? []).map((k) => KIND_OUT[k]),
      senderCorpIds: list(s.senderCorpIds),
      senderTagIds: list(s.senderTagIds),
      recipientIds: list(s.recipientIds),
      recipientDepartmentIds: list(s.recipientDepartmentIds),
      includeSubDepartments: !!s.includeSubDepartments,
      recipientTagIds: list(s.recipientTagIds),
    },
    urgency:
      rule.urgency === 'normal'
        ? U.URGENCY_NORMAL
        : rule.urgency === 'urgent'
          ? U.URGENCY_URGENT
          : U.URGENCY_UNSPECIFIED,
    schedule: rule.schedule
      ? {
          parts: rule.schedule.parts.map((p) => {
            switch (p.kind) {
              case 'weekly':
                return {
                  weekly: {
                    days: [...(p.days ?? [])],
                    on:
                      p.on === 'working_days'
                        ? muteRuleV1.DayFilter.DAY_FILTER_WORKING_DAYS
                        : p.on === 'non_working_days'
                          ? muteRuleV1.DayFilter.DAY_FILTER_NON_WORKING_DAYS
                          : muteRuleV1.DayFilter.DAY_FILTER_UNSPECIFIED,
                    start: p.start,
                    end: p.end,
                  },
                };
              case 'dates':
                return { dates: { from: p.from, to: p.to } };
              case 'holidays':
                return { holidays: {} };
              case 'non_working_days':
                return { nonWorkingDays: {} };
            }
          }),
          calendar: rule.schedule.calendar ?? '',
          timeZone: rule.schedule.timeZone ?? '',
        }
      : undefined,
    activeFrom: instantOut(rule.activeFrom),
    activeUntil: instantOut(rule.activeUntil),
    effect: EFFECT_OUT[rule.effect],
    throttle: rule.throttle
      ? {
          limit: rule.throttle.limit,
          per:
            rule.throttle.per === 'hour'
              ? muteRuleV1.ThrottlePeriod.THROTTLE_PERIOD_HOUR
              : muteRuleV1.ThrottlePeriod.THROTTLE_PERIOD_DAY,
        }
      : undefined,
    disabled: !rule.enabled,
  };
}

export function channelIn(c: muteRuleV1.GreenChannel | null | undefined): GreenChannel {
  if (!c) throw invalid('channel', 'is required');
  const recipientScope = {
    recipientIds: list(c.recipientIds),
    recipientDepartmentIds: list(c.recipientDepartmentIds),
    includeSubDepartments: !!c.includeSubDepartments,
    recipientTagIds: list(c.recipientTagIds),
  };
  return {
    channelId: c.channelId,
    name: c.name,
    tagGroupId: c.tagGroupId,
    recipientScope,
    enabled: !c.disabled,
  };
}

export function channelOut(c: GreenChannel): muteRuleV1.GreenChannel {
  const s = c.recipientScope ?? {};
  return {
    channelId: c.channelId,
    name: c.name,
    tagGroupId: c.tagGroupId,
    recipientIds: list(s.recipientIds),
    recipientDepartmentIds: list(s.recipientDepartmentIds),
    includeSubDepartments: !!s.includeSubDepartments,
    recipientTagIds: list(s.recipientTagIds),
    disabled: !c.enabled,
  };
}

const MAX_ID = 256;
function idIn(value: string | null | undefined, field: string): string {
  if (!value) throw invalid(field, 'is required');
  if (value.length > MAX_ID) throw invalid(field, `must be at most ${MAX_ID} characters`);
  return value;
}

/** A DecideService message of the caller's tenant; `at` prefixes the field path (messages[3].…). */
export function messageIn(
  m: muteDecideV1.Message | null | undefined,
  tenantId: string,
  now: number,
  at = 'message',
): MuteMessage {
  if (!m) throw invalid(at, 'is required');
  const s = m.sender;
  let sender: MuteMessage['sender'];
  if (s?.partnerStaff)
    sender = {
      kind: 'partner_staff',
      corpId: idIn(s.partnerStaff.corpId, `${at}.sender.partnerStaff.corpId`),
      staffId: idIn(s.partnerStaff.staffId, `${at}.sender.partnerStaff.staffId`),
    };
  else if (s?.externalCustomerId)
    sender = {
      kind: 'external_customer',
      customerId: idIn(s.externalCustomerId, `${at}.sender.externalCustomerId`),
    };
  else if (s?.employeeId)
    sender = { kind: 'employee', employeeId: idIn(s.employeeId, `${at}.sender.employeeId`) };
  else throw invalid(`${at}.sender`, 'must set one of partner_staff, external_customer_id, employee_id');
  if (m.senderCorpId && m.senderCorpId.length > MAX_ID)
    throw invalid(`${at}.senderCorpId`, `must be at most ${MAX_ID} characters`);
  if (m.urgency !== U.URGENCY_UNSPECIFIED && m.urgency !== U.URGENCY_NORMAL && m.urgency !== U.URGENCY_URGENT)
    throw invalid(`${at}.urgency`, 'must be a known URGENCY_ value');
  return {
    tenantId,
    messageId: idIn(m.messageId, `${at}.messageId`),
    recipientId: idIn(m.recipientId, `${at}.recipientId`),
    sender,
    senderCorpId: m.senderCorpId || (sender.kind === 'partner_staff' ? sender.corpId : null),
    urgency: m.urgency === U.URGENCY_URGENT ? 'urgent' : 'normal',
    sentAt: instantIn(m.sentAt, `${at}.sentAt`) ?? now,
  };
}

const O = muteDecideV1.Outcome;

export function decisionOut(
  d: RecordedDecision,
  replayed: boolean,
  recorded: boolean,
): muteDecideV1.Decision {
  return {
    messageId: d.message.messageId,
    outcome:
      d.outcome === 'NOTIFY' ? O.OUTCOME_NOTIFY : d.outcome === 'SILENT' ? O.OUTCOME_SILENT : O.OUTCOME_HOLD,
    releaseAt: instantOut(d.releaseAt),
    reasons: d.reasons.map((r) => ({
      source: r.source,
      id: r.id,
      name: r.name,
      tier: r.tier,
      effect: r.effect,
      specificity: [...(r.specificity ?? [])],
      detail: r.detail,
      won: r.won,
    })),
    winner: { tier: d.winner.tier, id: d.winner.id ?? '', why: d.winner.why },
    timeZone: d.timeZone,
    snapshot: d.snapshot,
    calendarGaps: [...d.calendarGaps],
    unmuteId: d.unmuteId ?? '',
    replayed,
    recorded,
  };
}
