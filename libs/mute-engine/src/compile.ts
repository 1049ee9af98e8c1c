import type { GreenChannel, MuteRule, MuteRuleSet, RuleEffect, RuleScope, SenderKind, Throttle } from './model';
import {
  type CompiledSchedule,
  type CompiledWorkingTime,
  compileSchedule,
  compileWorkingTime,
} from './schedule';

/**
 * The rule index of one MuteRuleSet, built once per rules-state identity (a WeakMap on the object) so a decision
 * looks up only the rules that can concern its message: each rule sits in the bucket of its most selective
 * effective dimension (recipient > sender enterprise > recipient department > sender tag > recipient tag), or in
 * the small generic list when it names none of them.
 */

/** The specificity dimensions, most significant first (D-I1). The last one, nesting depth, is a number. */
export const SPECIFICITY_DIMENSIONS = [
  'recipient',
  'recipient department or tag',
  'sender enterprise',
  'sender tag',
  'sender kind',
  'schedule',
  'urgency',
  'nesting depth',
] as const;

export type CompiledCondition = {
  rule: MuteRule;
  senderKinds: ReadonlySet<SenderKind> | null;
  senderCorpIds: ReadonlySet<string> | null;
  senderTagIds: readonly string[] | null;
  recipientIds: ReadonlySet<string> | null;
  recipientDepartmentIds: readonly string[] | null;
  includeSubDepartments: boolean;
  recipientTagIds: readonly string[] | null;
  schedule: CompiledSchedule | null;
};

export type CompiledRule = {
  /** Dense index, for de-duplication stamps. */
  index: number;
  rule: MuteRule;
  /** The rule's own condition first, then its ancestors' up to the root: all must hold. */
  chain: readonly CompiledCondition[];
  depth: number;
  specificity: readonly number[];
  /** The specificity vector packed into one comparable number (bits of the 7 flags, then depth). */
  rank: number;
  effect: RuleEffect;
  throttle: Throttle | null;
  /** Effective urgency: 'urgent' when the rule or an ancestor only covers urgent messages. */
  urgency: 'any' | 'normal' | 'urgent' | 'none';
  /** Broken rules (a missing parent, a cycle, a throttle without limits) never match; listed for health checks. */
  broken: string | null;
};

export type CompiledGreenChannel = {
  channel: GreenChannel;
  recipient: CompiledCondition | null;
};

export type RuleIndex = {
  ruleSet: MuteRuleSet;
  rules: readonly CompiledRule[];
  byRecipient: ReadonlyMap<string, CompiledRule[]>;
  bySenderCorp: ReadonlyMap<string, CompiledRule[]>;
  byDepartment: ReadonlyMap<string, CompiledRule[]>;
  bySenderTag: ReadonlyMap<string, CompiledRule[]>;
  byRecipientTag: ReadonlyMap<string, CompiledRule[]>;
  generic: readonly CompiledRule[];
  greenByGroup: ReadonlyMap<string, CompiledGreenChannel[]>;
  workingTime: CompiledWorkingTime;
  broken: readonly CompiledRule[];
  /** De-duplication stamps, one per rule (a decision bumps `stamp`). */
  seen: Int32Array;
  stamp: { value: number };
};

const cache = new WeakMap<MuteRuleSet, RuleIndex>();

export function ruleIndex(ruleSet: MuteRuleSet): RuleIndex {
  let index = cache.get(ruleSet);
  if (!index) {
    index = buildIndex(ruleSet);
    cache.set(ruleSet, index);
  }
  return index;
}

function nonEmpty<T>(values: readonly T[] | undefined): readonly T[] | null {
  return values && values.length > 0 ? values : null;
}

function setOf<T>(values: readonly T[] | undefined): ReadonlySet<T> | null {
  return values && values.length > 0 ? new Set(values) : null;
}

function compileCondition(rule: MuteRule, scope: RuleScope, defaultCalendar: string | null): CompiledCondition {
  return {
    rule,
    senderKinds: setOf(scope.senderKinds),
    senderCorpIds: setOf(scope.senderCorpIds),
    senderTagIds: nonEmpty(scope.senderTagIds),
    recipientIds: setOf(scope.recipientIds),
    recipientDepartmentIds: nonEmpty(scope.recipientDepartmentIds),
    includeSubDepartments: scope.includeSubDepartments ?? false,
    recipientTagIds: nonEmpty(scope.recipientTagIds),
    schedule: rule.schedule ? compileSchedule(rule.schedule, defaultCalendar) : null,
  };
}

function push<K>(map: Map<K, CompiledRule[]>, key: K, rule: CompiledRule): void {
  const list = map.get(key);
  if (list) list.push(rule);
  else map.set(key, [rule]);
}

function buildIndex(ruleSet: MuteRuleSet): RuleIndex {
  const calendar = ruleSet.settings.calendar;
  const conditions = new Map<string, CompiledCondition>();
  const brokenSchedules = new Map<string, string>();
  for (const rule of ruleSet.rules.values()) {
    try {
      conditions.set(rule.ruleId, compileCondition(rule, rule.scope, calendar));
    } catch (error) {
      brokenSchedules.set(rule.ruleId, (error as Error).message);
      conditions.set(rule.ruleId, compileCondition({ ...rule, schedule: null }, rule.scope, calendar));
    }
  }
  const rules: CompiledRule[] = [];
  const byRecipient = new Map<string, CompiledRule[]>();
  const bySenderCorp = new Map<string, CompiledRule[]>();
  const byDepartment = new Map<string, CompiledRule[]>();
  const bySenderTag = new Map<string, CompiledRule[]>();
  const byRecipientTag = new Map<string, CompiledRule[]>();
  const generic: CompiledRule[] = [];
  const broken: CompiledRule[] = [];
  // Sorted by id so the index (and the order of equal rules) does not depend on Map insertion order.
  const ids = [...ruleSet.rules.keys()].sort();
  for (const ruleId of ids) {
    const rule = ruleSet.rules.get(ruleId) as MuteRule;
    const chain: CompiledCondition[] = [];
    let problem: string | null = brokenSchedules.get(ruleId) ?? null;
    const visited = new Set<string>();
    let current: MuteRule | undefined = rule;
    while (current) {
      if (visited.has(current.ruleId)) {
        problem = `rule nesting has a cycle through ${current.ruleId}`;
        break;
      }
      visited.add(current.ruleId);
      chain.push(conditions.get(current.ruleId) as CompiledCondition);
      if (current.parentId === null) break;
      const parent = ruleSet.rules.get(current.parentId);
      if (!parent) problem = `parent rule ${current.parentId} does not exist`;
      current = parent;
    }
    if (rule.effect === 'throttle' && !(rule.throttle && rule.throttle.limit >= 0)) problem = 'throttle rule without a limit';
    const has = (f: (c: CompiledCondition) => unknown): number => (chain.some((c) => f(c)) ? 1 : 0);
    const depth = chain.length - 1;
    const urgencies = new Set(chain.map((c) => c.rule.urgency).filter((u) => u !== 'any'));
    const urgency = urgencies.size === 0 ? 'any' : urgencies.size === 2 ? 'none' : urgencies.has('urgent') ? 'urgent' : 'normal';
    const flags = [
      has((c) => c.recipientIds),
      has((c) => c.recipientDepartmentIds || c.recipientTagIds),
      has((c) => c.senderCorpIds),
      has((c) => c.senderTagIds),
      has((c) => c.senderKinds),
      has((c) => c.schedule),
      urgency === 'any' ? 0 : 1,
    ];
    const specificity = [...flags, depth];
    const rank = flags.reduce((r, f) => r * 2 + f, 0) * 1024 + Math.min(depth, 1023);
    const compiled: CompiledRule = {
      index: rules.length,
      rule,
      chain,
      depth,
      specificity,
      rank,
      effect: rule.effect,
      throttle: rule.throttle ?? null,
      urgency,
      broken: problem,
    };
    rules.push(compiled);
    if (problem !== null || !chain.every((c) => c.rule.enabled) || urgency === 'none') {
      if (problem !== null) broken.push(compiled);
      continue;
    }
    const pick = <T>(f: (c: CompiledCondition) => T | null): T | null => {
      for (const c of chain) {
        const v = f(c);
        if (v !== null) return v;
      }
      return null;
    };
    const recipients = pick((c) => c.recipientIds);
    const corps = pick((c) => c.senderCorpIds);
    const departments = pick((c) => c.recipientDepartmentIds);
    const senderTags = pick((c) => c.senderTagIds);
    const recipientTags = pick((c) => c.recipientTagIds);
    if (recipients) for (const id of recipients) push(byRecipient, id, compiled);
    else if (corps) for (const id of corps) push(bySenderCorp, id, compiled);
    else if (departments) for (const id of departments) push(byDepartment, id, compiled);
    else if (senderTags) for (const id of senderTags) push(bySenderTag, id, compiled);
    else if (recipientTags) for (const id of recipientTags) push(byRecipientTag, id, compiled);
    else generic.push(compiled);
  }
  const greenByGroup = new Map<string, CompiledGreenChannel[]>();
  for (const channel of [...ruleSet.greenChannels.values()].sort((a, b) => (a.channelId < b.channelId ? -1 : 1))) {
    if (!channel.enabled) continue;
    const scope = channel.recipientScope;
    const recipient =
      scope && (nonEmpty(scope.recipientIds) || nonEmpty(scope.recipientDepartmentIds) || nonEmpty(scope.recipientTagIds))
        ? compileCondition(
            {
              ruleId: channel.channelId,
              parentId: null,
              name: channel.name,
              scope,
              urgency: 'any',
              schedule: null,
              activeFrom: null,
              activeUntil: null,
              effect: 'notify',
              enabled: true,
            },
            scope,
            calendar,
          )
        : null;
    const list = greenByGroup.get(channel.tagGroupId);
    if (list) list.push({ channel, recipient });
    else greenByGroup.set(channel.tagGroupId, [{ channel, recipient }]);
  }
  return {
    ruleSet,
    rules,
    byRecipient,
    bySenderCorp,
    byDepartment,
    bySenderTag,
    byRecipientTag,
    generic,
    greenByGroup,
    workingTime: compileWorkingTime(ruleSet.settings.workingTime),
    broken,
    seen: new Int32Array(rules.length),
    stamp: { value: 0 },
  };
}
