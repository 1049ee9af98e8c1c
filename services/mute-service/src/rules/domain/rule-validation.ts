import {
  assertZone,
  defaultCalendars,
  type GreenChannel,
  type MuteRule,
  type RuleScope,
  type SchedulePart,
} from '@tagguard/mute-engine';
import { invalid } from '../../write/mute.errors';

// Pure checks of one rule or green channel as a command carries it; each names the domain field at fault.

const ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const TIME = /^([01]\d|2[0-4]):[0-5]\d$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const CALENDARS = new Set(defaultCalendars().keys());
const MAX_LIST = 1_000;

export function checkId(value: string, field: string): void {
  if (!ID.test(value))
    throw invalid(
      field,
      'must be 1–128 characters of letters, digits and . _ : @ - (a letter or digit first)',
    );
}

function checkName(value: string, field: string): void {
  if (value.trim().length === 0 || value.length > 200) throw invalid(field, 'must be 1–200 characters');
}

function checkIds(values: readonly string[] | undefined, field: string): void {
  if (!values) return;
  if (values.length > MAX_LIST) throw invalid(field, `must list at most ${MAX_LIST} ids`);
  values.forEach((v, i) => checkId(v, `${field}[${i}]`));
}

function checkScope(scope: RuleScope, field: string): void {
  checkIds(scope.senderCorpIds, `${field}.senderCorpIds`);
  checkIds(scope.senderTagIds, `${field}.senderTagIds`);
  checkIds(scope.recipientIds, `${field}.recipientIds`);
  checkIds(scope.recipientDepartmentIds, `${field}.recipientDepartmentIds`);
  checkIds(scope.recipientTagIds, `${field}.recipientTagIds`);
}

function minutes(value: string): number {
  return Number(value.slice(0, 2)) * 60 + Number(value.slice(3));
}

function checkPart(part: SchedulePart, field: string): void {
  switch (part.kind) {
    case 'weekly': {
      (part.days ?? []).forEach((d, i) => {
        if (!Number.isInteger(d) || d < 1 || d > 7)
          throw invalid(`${field}.weekly.days[${i}]`, 'must be an ISO weekday 1–7');
      });
      for (const key of ['start', 'end'] as const)
        if (!TIME.test(part[key]) || minutes(part[key]) > 1440)
          throw invalid(`${field}.weekly.${key}`, 'must be a local time HH:MM (00:00–24:00)');
      if (part.start === '24:00') throw invalid(`${field}.weekly.start`, 'cannot be 24:00');
      if (part.start === part.end) throw invalid(`${field}.weekly.end`, 'must differ from start');
      return;
    }
    case 'dates':
      for (const key of ['from', 'to'] as const)
        if (!DATE.test(part[key]) || Number.isNaN(Date.parse(`${part[key]}T00:00:00Z`)))
          throw invalid(`${field}.dates.${key}`, 'must be a local date YYYY-MM-DD');
      if (part.to < part.from) throw invalid(`${field}.dates.to`, 'must not be before from');
      return;
    case 'holidays':
    case 'non_working_days':
      return;
  }
}

export function checkZone(zone: string, field: string): void {
  try {
    assertZone(zone);
  } catch {
    throw invalid(field, `"${zone}" is not an IANA time zone`);
  }
}

export function checkRule(rule: MuteRule): void {
  checkId(rule.ruleId, 'rule.ruleId');
  if (rule.parentId !== null) checkId(rule.parentId, 'rule.parentId');
  if (rule.parentId === rule.ruleId) throw invalid('rule.parentId', 'must not be the rule itself');
  checkName(rule.name, 'rule.name');
  checkScope(rule.scope, 'rule.scope');
  if (rule.schedule) {
    const s = rule.schedule;
    if (s.parts.length === 0) throw invalid('rule.schedule.parts', 'must have at least one part');
    if (s.parts.length > 50) throw invalid('rule.schedule.parts', 'must have at most 50 parts');
    s.parts.forEach((p, i) => checkPart(p, `rule.schedule.parts[${i}]`));
    if (s.calendar && !CALENDARS.has(s.calendar))
      throw invalid('rule.schedule.calendar', `must be one of ${[...CALENDARS].join(', ')}`);
    if (s.timeZone) checkZone(s.timeZone, 'rule.schedule.timeZone');
  }
  if (rule.activeFrom !== null && rule.activeUntil !== null && rule.activeUntil <= rule.activeFrom)
    throw invalid('rule.activeUntil', 'must be after activeFrom');
  if (rule.effect === 'throttle') {
    const t = rule.throttle;
    if (!t) throw invalid('rule.throttle', 'is required when the effect is throttle');
    if (!Number.isInteger(t.limit) || t.limit < 1 || t.limit > 100_000)
      throw invalid('rule.throttle.limit', 'must be between 1 and 100000');
  } else if (rule.throttle) throw invalid('rule.throttle', 'is allowed only when the effect is throttle');
}

export function checkChannel(channel: GreenChannel): void {
  checkId(channel.channelId, 'channel.channelId');
  checkName(channel.name, 'channel.name');
  checkId(channel.tagGroupId, 'channel.tagGroupId');
  if (channel.recipientScope) checkScope(channel.recipientScope, 'channel');
}
