import type {
  AppliedReason,
  GreenChannel,
  MuteRule,
  MuteRuleSet,
  RuleEffect,
  RuleScope,
  SenderKind,
  Throttle,
} from './model';
import {
  type CompiledSchedule,
  type CompiledWorkingTime,
  compileSchedule,
  compileWorkingTime,
} from './schedule';

/**
 * The rule index of one MuteRuleSet, built once per rules-state identity (a WeakMap on the object) so a decision
 * looks up only the rules that can concern its message: each rule sits in the bucket of one of its effective
 * dimensions (recipient, sender enterprise, recipient department, sender tag, recipient tag) — the most selective
 * one in this rule set — or in the small generic list when it names none of them.
 */

/** The specificity dimensions, most significant first (D66). The last one, nesting depth, is a number. */
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
  // The rule's scalars copied here: MuteRule objects come in many shapes (spreads, decoders), and reading them
  // on the hot path would be megamorphic.
  enabled: boolean;
  activeFrom: number;
  activeUntil: number;
  urgency: 'any' | 'normal' | 'urgent';
  senderKinds: ReadonlySet<SenderKind> | null;
  senderCorpIds: ReadonlySet<string> | null;
  senderTagIds: readonly string[] | null;
  recipientIds: ReadonlySet<string> | null;
  recipientDepartmentIds: readonly string[] | null;
  includeSubDepartments: boolean;
  recipientTagIds: readonly string[] | null;
  schedule: CompiledSchedule | null;
  /** Equal schedules share one id, so a decision evaluates each distinct schedule once. -1: none. */
  scheduleId: number;
};

export type CompiledRule = {
  /** Dense index, for de-duplication stamps. */
  index: number;
  rule: MuteRule;
  /** rule.ruleId and rule.name, kept here: a decision reads them for every applying rule. */
  id: string;
  name: string;
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
  /** Its position in the rule set sorted by byPrecedence (strongest first): decide sorts applying rules by it. */
  precedence: number;
  /** The reason text describing its conditions, built the first time the rule applies (decide.ts). */
  detail: string | null;
  /** decide()'s explanation parts, built the first time they are needed and then shared by every decision of
   * this snapshot (decide.ts): its reason as the winner (frozen; as a loser: RuleIndex.lostReasons), the `why`
   * when it wins alone, and how a `why` names it as the winner (`rule 'name' (effect)`) and as the runner-up
   * (`'name' (effect)`). */
  wonReason: AppliedReason | null;
  whyAlone: string | null;
  whyHead: string | null;
  whyOther: string | null;
};

/** The tier an applying rule is listed under (kindByPrecedence): urgent overrides (notify, urgent only),
 * throttles, the other (scoped) rules. */
export const KIND_URGENT = 0;
export const KIND_SCOPED = 1;
export const KIND_THROTTLE = 2;

export function kindOf(r: Pick<CompiledRule, 'effect' | 'urgency'>): number {
  if (r.effect === 'throttle') return KIND_THROTTLE;
  if (r.effect === 'notify' && r.urgency === 'urgent') return KIND_URGENT;
  return KIND_SCOPED;
}

export type CompiledGreenChannel = {
  channel: GreenChannel;
  recipient: CompiledCondition | null;
  /** decide()'s reason for it, lost and won (frozen), built when first needed. */
  lostReason: AppliedReason | null;
  wonReason: AppliedReason | null;
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
  /**
   * The same buckets split into one lane per (sender kind, message urgency) — LANE_KINDS × [normal, urgent] — each
   * holding only the rules whose chain admits that kind and urgency, so a decision's candidates skip the rules
   * that its sender kind or urgency already rules out (D107). The maps above stay the unsplit view.
   */
  lanes: readonly RuleLane[];
  greenByGroup: ReadonlyMap<string, CompiledGreenChannel[]>;
  /** The key numbers the listed rules name, per dimension (see `lists`). */
  recipientKeys: ReadonlyMap<string, number>;
  corpKeys: ReadonlyMap<string, number>;
  departmentKeys: ReadonlyMap<string, number>;
  senderTagKeys: ReadonlyMap<string, number>;
  recipientTagKeys: ReadonlyMap<string, number>;
  /** Per department, the key listing the rules bucketed under it that name it without the departments below
   * (a decision looks these up for the recipient's own departments only). */
  departmentDirectKeys: ReadonlyMap<string, number>;
  /** The key number whose spans list the generic rules (no key dimension). */
  genericKey: number;
  /** For key k, its rules' entries are lists[spans[2k], spans[2k+1]), each marked with the lanes it is in. */
  spans: Int32Array;
  lists: Int32Array;
  /** OP_TIME operands index pairs here: [activeFrom, activeUntil). */
  bounds: Float64Array;
  /** The distinct schedules by id (CompiledCondition.scheduleId). */
  schedules: readonly CompiledSchedule[];
  /** Per-decision marks on key numbers (a decision's stamp): the recipient's departments with those above them,
   * the sender's and the recipient's tags with their groups; `directMark` the recipient's own departments. */
  mark: Int32Array;
  directMark: Int32Array;
  /** Scratch for a decision's key numbers (each key at most once, plus the generic one). */
  keyScratch: Int32Array;

  workingTime: CompiledWorkingTime;
  broken: readonly CompiledRule[];
  /** The rules in precedence order (strongest first): byPrecedence[r.precedence] === r. */
  byPrecedence: readonly CompiledRule[];
  /** kindOf(byPrecedence[p]) for each precedence position p: decide classifies applying rules on integers. */
  kindByPrecedence: Uint8Array;
  /** By precedence position, filled by decide the first time a rule applies (null before): its reason as a loser
   * (frozen, shared by every decision of this snapshot), and its name as an override names it (`'name'`; '' for a
   * notify rule, which overrides nothing). Dense arrays: a decision reads them without touching the rule. */
  lostReasons: (AppliedReason | null)[];
  overrideNames: (string | null)[];
  /** By precedence position, what a HOLD's release reads of the rule's chain (decide.ts holdReleaseKept), so it
   * reads no rule, chain or condition object: the earliest `activeUntil` of the chain (+Infinity: none), and the
   * chain's schedule ids, own first, in releaseIds[releaseFrom[p], releaseFrom[p + 1]). */
  releaseUntil: Float64Array;
  releaseFrom: Int32Array;
  releaseIds: Int32Array;
  /** Scratch for a decision's applying rules' precedence positions (decide keeps none of it). */
  appliedScratch: Int32Array;
  /** De-duplication stamps, one per rule by its precedence position (a decision bumps `stamp`). */
  seen: Int32Array;
  stamp: { value: number };
  /** Per distinct schedule: the stamp of the decision that evaluated it, and the answer (1 active, 0 not). */
  scheduleSeen: Int32Array;
  scheduleValue: Uint8Array;
};

/**
 * The index's compiled form of the candidates and their conditions (D111). Every key a rule condition names (a
 * recipient, an enterprise, a department, a sender tag, a recipient tag) gets a number, unique across dimensions,
 * when the index is compiled; `lists` holds, for each key, the rules bucketed under that key, each as an entry
 * `[precedence position, lanes << 1 | dedupe, end, ...checks]` whose checks are the rule's whole chain flattened into
 * `[op, n, ...n operands]` on key numbers (OP_*). A decision looks each of its message's keys up once (one Map get
 * giving a number), marks them, and then reads each key's span in `lists` front to back (skipping the entries not
 * in its lane): a candidate's
 * evaluation touches adjacent ints, not a rule object, its chain, its conditions' Sets and their strings. Only
 * indexable rules (not broken, every condition enabled) are listed; the lanes already guarantee the sender kind
 * and urgency, so the checks leave them out, and so is the check the rule's bucket proves (D116). Checks keep the order of the conditions (own first, then ancestors)
 * and, within one, time bounds, enterprise, recipient, sender tag, department, recipient tag; then the chain's
 * schedules, own first: the same schedules are evaluated (and the same calendar gaps noted) as by the
 * condition-by-condition evaluation (decideReference), whichever key the rule is bucketed under. `dedupe` is 1 when the rule is listed under more than one key (its bucket dimension names
 * several values), so only those consult the per-rule stamps. Since D116 the lanes of one key share one span:
 * the entry's second int is `lanes << 1 | dedupe` (bit 1 + lane set for each lane the rule is in), and a
 * decision skips the entries not in its lane without reading their checks — a rule is listed once per key, not
 * once per lane, so the lists are up to six times smaller and stay in cache.
 */
export const OP_TIME = 1;
export const OP_CORP = 2;
export const OP_RECIPIENT = 3;
export const OP_SENDER_TAG = 4;
export const OP_DEPARTMENT = 5;
export const OP_DEPARTMENT_TREE = 6;
export const OP_RECIPIENT_TAG = 7;
export const OP_SCHEDULE = 8;

export type RuleLane = {
  byRecipient: ReadonlyMap<string, CompiledRule[]>;
  bySenderCorp: ReadonlyMap<string, CompiledRule[]>;
  byDepartment: ReadonlyMap<string, CompiledRule[]>;
  bySenderTag: ReadonlyMap<string, CompiledRule[]>;
  byRecipientTag: ReadonlyMap<string, CompiledRule[]>;
  generic: readonly CompiledRule[];
};

export const LANE_KINDS: readonly SenderKind[] = ['partner_staff', 'external_customer', 'employee'];

/** The lane of a message: its sender kind's position in LANE_KINDS, times two, plus one when urgent. */
export function laneOf(kind: SenderKind, urgency: 'normal' | 'urgent'): number {
  const k = kind === 'partner_staff' ? 0 : kind === 'external_customer' ? 1 : 2;
  return k * 2 + (urgency === 'urgent' ? 1 : 0);
}

function admits(r: CompiledRule, kind: SenderKind, urgency: 'normal' | 'urgent'): boolean {
  for (const c of r.chain) {
    if (c.senderKinds && !c.senderKinds.has(kind)) return false;
    if (c.urgency !== 'any' && c.urgency !== urgency) return false;
  }
  return true;
}

const QUIETNESS = { hold: 2, silent: 1, notify: 0, throttle: 0 } as const;

/** The precedence among applying rules (D66): the more specific rank, then the quieter effect, then the lower id.
 * A total order (rule ids are unique). */
export function byPrecedence(a: CompiledRule, b: CompiledRule): number {
  if (a.rank !== b.rank) return b.rank - a.rank;
  const q = QUIETNESS[b.effect] - QUIETNESS[a.effect];
  if (q !== 0) return q;
  return a.rule.ruleId < b.rule.ruleId ? -1 : a.rule.ruleId > b.rule.ruleId ? 1 : 0;
}

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

type Schedules = Map<string, { schedule: CompiledSchedule; id: number }>;

function compileCondition(
  rule: MuteRule,
  scope: RuleScope,
  defaultCalendar: string | null,
  schedules: Schedules,
): CompiledCondition {
  let scheduleId = -1;
  let schedule: CompiledSchedule | null = null;
  if (rule.schedule) {
    const key = JSON.stringify([rule.schedule, defaultCalendar]);
    let interned = schedules.get(key);
    if (!interned) {
      interned = { schedule: compileSchedule(rule.schedule, defaultCalendar), id: schedules.size };
      schedules.set(key, interned);
    }
    scheduleId = interned.id;
    schedule = interned.schedule;
  }
  return {
    rule,
    enabled: rule.enabled,
    activeFrom: rule.activeFrom ?? Number.NEGATIVE_INFINITY,
    activeUntil: rule.activeUntil ?? Number.POSITIVE_INFINITY,
    urgency: rule.urgency,
    senderKinds: setOf(scope.senderKinds),
    senderCorpIds: setOf(scope.senderCorpIds),
    senderTagIds: nonEmpty(scope.senderTagIds),
    recipientIds: setOf(scope.recipientIds),
    recipientDepartmentIds: nonEmpty(scope.recipientDepartmentIds),
    includeSubDepartments: scope.includeSubDepartments ?? false,
    recipientTagIds: nonEmpty(scope.recipientTagIds),
    schedule,
    scheduleId,
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
  const schedules: Schedules = new Map();
  for (const rule of ruleSet.rules.values()) {
    try {
      conditions.set(rule.ruleId, compileCondition(rule, rule.scope, calendar, schedules));
    } catch (error) {
      brokenSchedules.set(rule.ruleId, (error as Error).message);
      conditions.set(
        rule.ruleId,
        compileCondition({ ...rule, schedule: null }, rule.scope, calendar, schedules),
      );
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
    if (rule.effect === 'throttle' && !(rule.throttle && rule.throttle.limit >= 0))
      problem = 'throttle rule without a limit';
    const has = (f: (c: CompiledCondition) => unknown): number => (chain.some((c) => f(c)) ? 1 : 0);
    const depth = chain.length - 1;
    const urgencies = new Set(chain.map((c) => c.rule.urgency).filter((u) => u !== 'any'));
    const urgency =
      urgencies.size === 0
        ? 'any'
        : urgencies.size === 2
          ? 'none'
          : urgencies.has('urgent')
            ? 'urgent'
            : 'normal';
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
      id: rule.ruleId,
      name: rule.name,
      chain,
      depth,
      specificity,
      rank,
      effect: rule.effect,
      throttle: rule.throttle ?? null,
      urgency,
      broken: problem,
      precedence: 0,
      detail: null,
      wonReason: null,
      whyAlone: null,
      whyHead: null,
      whyOther: null,
    };
    rules.push(compiled);
    if (problem !== null) broken.push(compiled);
  }
  const byPrecedenceOrder = [...rules].sort(byPrecedence);
  byPrecedenceOrder.forEach((r, i) => {
    r.precedence = i;
  });
  // Each indexable rule goes to the bucket dimension whose fullest key holds the fewest rules (the most
  // selective one for this rule set); ties go by the fixed order recipient > enterprise > department > sender tag
  // > recipient tag.
  const dimsOf = (r: CompiledRule): [Dim, readonly string[], number][] => {
    // The values of the first condition of the chain naming the dimension, and that condition's position.
    const pick = (
      f: (c: CompiledCondition) => Iterable<string> | null,
    ): [readonly string[], number] | null => {
      for (let at = 0; at < r.chain.length; at += 1) {
        const v = f(r.chain[at] as CompiledCondition);
        if (v !== null) return [[...v], at];
      }
      return null;
    };
    const out: [Dim, readonly string[], number][] = [];
    const add = (dim: Dim, found: [readonly string[], number] | null): void => {
      if (found) out.push([dim, found[0], found[1]]);
    };
    add(
      'recipient',
      pick((c) => c.recipientIds),
    );
    add(
      'corp',
      pick((c) => c.senderCorpIds),
    );
    add(
      'department',
      pick((c) => c.recipientDepartmentIds),
    );
    add(
      'senderTag',
      pick((c) => c.senderTagIds),
    );
    add(
      'recipientTag',
      pick((c) => c.recipientTagIds),
    );
    return out;
  };
  const indexable = rules.filter(
    (r) => r.broken === null && r.chain.every((c) => c.rule.enabled) && r.urgency !== 'none',
  );
  const dims = new Map(indexable.map((r) => [r, dimsOf(r)] as const));
  const load = new Map<string, number>();
  for (const list of dims.values())
    for (const [dim, values] of list)
      for (const v of values) load.set(`${dim}\u0000${v}`, (load.get(`${dim}\u0000${v}`) ?? 0) + 1);
  const buckets: Record<Dim, Map<string, CompiledRule[]>> = {
    recipient: byRecipient,
    corp: bySenderCorp,
    department: byDepartment,
    senderTag: bySenderTag,
    recipientTag: byRecipientTag,
  };
  const lanes: RuleLane[] = [];
  // Rules listed under more than one key (their bucket dimension names several values): a decision may meet them
  // twice, so only they are de-duplicated.
  const multiKey = new Set<CompiledRule>();
  // Where each bucketed rule is listed: its dimension and the chain position of the condition whose values are
  // its keys (compilePrograms leaves that check out: reaching the rule through one of those keys proves it).
  const bucketOf = new Map<CompiledRule, Bucket>();
  for (const kind of LANE_KINDS)
    for (const urgency of ['normal', 'urgent'] as const)
      lanes[laneOf(kind, urgency)] = {
        byRecipient: new Map(),
        bySenderCorp: new Map(),
        byDepartment: new Map(),
        bySenderTag: new Map(),
        byRecipientTag: new Map(),
        generic: [],
      };
  const laneBuckets = (lane: RuleLane): Record<Dim, Map<string, CompiledRule[]>> => ({
    recipient: lane.byRecipient as Map<string, CompiledRule[]>,
    corp: lane.bySenderCorp as Map<string, CompiledRule[]>,
    department: lane.byDepartment as Map<string, CompiledRule[]>,
    senderTag: lane.bySenderTag as Map<string, CompiledRule[]>,
    recipientTag: lane.byRecipientTag as Map<string, CompiledRule[]>,
  });
  for (const r of indexable) {
    let best: [Dim, readonly string[], number] | null = null;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (const entry of dims.get(r) ?? []) {
      const worst = Math.max(...entry[1].map((v) => load.get(`${entry[0]}\u0000${v}`) ?? 0));
      if (worst < bestLoad) {
        best = entry;
        bestLoad = worst;
      }
    }
    if (best && best[1].length > 1) multiKey.add(r);
    if (best) bucketOf.set(r, { dim: best[0], at: best[2] });
    if (best) for (const v of best[1]) push(buckets[best[0]], v, r);
    else generic.push(r);
    for (const kind of LANE_KINDS)
      for (const urgency of ['normal', 'urgent'] as const) {
        if (!admits(r, kind, urgency)) continue;
        const lane = lanes[laneOf(kind, urgency)] as RuleLane;
        if (best) for (const v of best[1]) push(laneBuckets(lane)[best[0]], v, r);
        else (lane.generic as CompiledRule[]).push(r);
      }
  }
  const greenByGroup = new Map<string, CompiledGreenChannel[]>();
  for (const channel of [...ruleSet.greenChannels.values()].sort((a, b) =>
    a.channelId < b.channelId ? -1 : 1,
  )) {
    if (!channel.enabled) continue;
    const scope = channel.recipientScope;
    const recipient =
      scope &&
      (nonEmpty(scope.recipientIds) ||
        nonEmpty(scope.recipientDepartmentIds) ||
        nonEmpty(scope.recipientTagIds))
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
            schedules,
          )
        : null;
    const compiledChannel: CompiledGreenChannel = { channel, recipient, lostReason: null, wonReason: null };
    const list = greenByGroup.get(channel.tagGroupId);
    if (list) list.push(compiledChannel);
    else greenByGroup.set(channel.tagGroupId, [compiledChannel]);
  }
  const compiled = compilePrograms(indexable, lanes, multiKey, bucketOf);
  const releaseUntil = new Float64Array(byPrecedenceOrder.length);
  const releaseFrom = new Int32Array(byPrecedenceOrder.length + 1);
  const releaseIds: number[] = [];
  byPrecedenceOrder.forEach((r, p) => {
    let until = Number.POSITIVE_INFINITY;
    for (const c of r.chain) {
      if (c.scheduleId >= 0) releaseIds.push(c.scheduleId);
      until = Math.min(until, c.activeUntil);
    }
    releaseUntil[p] = until;
    releaseFrom[p + 1] = releaseIds.length;
  });
  const appliedScratch = new Int32Array(rules.length);
  return {
    ruleSet,
    rules,
    byRecipient,
    bySenderCorp,
    byDepartment,
    bySenderTag,
    byRecipientTag,
    generic,
    lanes,
    greenByGroup,
    ...compiled,
    byPrecedence: byPrecedenceOrder,
    kindByPrecedence: Uint8Array.from(byPrecedenceOrder, kindOf),
    lostReasons: byPrecedenceOrder.map(() => null),
    overrideNames: byPrecedenceOrder.map(() => null),
    appliedScratch,
    releaseUntil,
    releaseFrom,
    releaseIds: Int32Array.from(releaseIds),
    schedules: [...schedules.values()].sort((a, b) => a.id - b.id).map((x) => x.schedule),
    workingTime: compileWorkingTime(ruleSet.settings.workingTime),
    broken,
    seen: new Int32Array(rules.length),
    stamp: { value: 0 },
    scheduleSeen: new Int32Array(schedules.size),
    scheduleValue: new Uint8Array(schedules.size),
  };
}

type Dim = 'recipient' | 'corp' | 'department' | 'senderTag' | 'recipientTag';
type Bucket = { dim: Dim; at: number };

type Programs = Pick<
  RuleIndex,
  | 'recipientKeys'
  | 'departmentDirectKeys'
  | 'corpKeys'
  | 'departmentKeys'
  | 'senderTagKeys'
  | 'recipientTagKeys'
  | 'genericKey'
  | 'spans'
  | 'lists'
  | 'bounds'
  | 'mark'
  | 'directMark'
  | 'keyScratch'
>;

/** The key numbers, the per-key spans and the rules' entries with their checks (see OP_*). */
function compilePrograms(
  indexable: readonly CompiledRule[],
  lanes: readonly RuleLane[],
  multiKey: ReadonlySet<CompiledRule>,
  bucketOf: ReadonlyMap<CompiledRule, Bucket>,
): Programs {
  let keys = 0;
  const dimension = () => new Map<string, number>();
  const recipientKeys = dimension();
  const corpKeys = dimension();
  const departmentKeys = dimension();
  const senderTagKeys = dimension();
  const recipientTagKeys = dimension();
  const departmentDirectKeys = dimension();
  const key = (map: Map<string, number>, value: string): number => {
    let id = map.get(value);
    if (id === undefined) {
      id = keys;
      keys += 1;
      map.set(value, id);
    }
    return id;
  };
  // Number every key any condition names (checks compare them even where the rule is bucketed elsewhere).
  for (const r of indexable)
    for (const c of r.chain) {
      for (const v of c.senderCorpIds ?? []) key(corpKeys, v);
      for (const v of c.recipientIds ?? []) key(recipientKeys, v);
      for (const v of c.senderTagIds ?? []) key(senderTagKeys, v);
      for (const v of c.recipientDepartmentIds ?? []) key(departmentKeys, v);
      for (const v of c.recipientTagIds ?? []) key(recipientTagKeys, v);
    }
  // A rule bucketed under departments its condition names without the departments below: listed under each
  // department's own "direct" key, which a decision looks up only for the recipient's own departments (under the
  // department's key, reached from every department below it too, its check would fail there).
  const directBucket = (r: CompiledRule): boolean => {
    const b = bucketOf.get(r);
    return (
      b !== undefined && b.dim === 'department' && !(r.chain[b.at] as CompiledCondition).includeSubDepartments
    );
  };
  for (const r of indexable)
    if (directBucket(r))
      for (const v of (r.chain[bucketOf.get(r)?.at ?? 0] as CompiledCondition).recipientDepartmentIds ?? [])
        key(departmentDirectKeys, v);
  const bounds: number[] = [];
  const checks = new Map<CompiledRule, number[]>();
  for (const r of indexable) {
    const out: number[] = [];
    const emit = (op: number, operands: readonly number[]): void => {
      out.push(op, operands.length, ...operands);
    };
    // The check of the condition the rule is bucketed under, on its bucket's dimension, always holds when a
    // decision reaches the rule (through one of that condition's values, found in the message): left out.
    const bucket = bucketOf.get(r);
    const proven = (at: number, dim: Dim): boolean =>
      bucket !== undefined && bucket.at === at && bucket.dim === dim;
    for (let at = 0; at < r.chain.length; at += 1) {
      const c = r.chain[at] as CompiledCondition;
      if (c.activeFrom !== Number.NEGATIVE_INFINITY || c.activeUntil !== Number.POSITIVE_INFINITY) {
        emit(OP_TIME, [bounds.length / 2]);
        bounds.push(c.activeFrom, c.activeUntil);
      }
      if (c.senderCorpIds && !proven(at, 'corp'))
        emit(
          OP_CORP,
          [...c.senderCorpIds].map((v) => key(corpKeys, v)),
        );
      if (c.recipientIds && !proven(at, 'recipient'))
        emit(
          OP_RECIPIENT,
          [...c.recipientIds].map((v) => key(recipientKeys, v)),
        );
      if (c.senderTagIds && !proven(at, 'senderTag'))
        emit(
          OP_SENDER_TAG,
          c.senderTagIds.map((v) => key(senderTagKeys, v)),
        );
      if (c.recipientDepartmentIds && !proven(at, 'department'))
        emit(
          c.includeSubDepartments ? OP_DEPARTMENT_TREE : OP_DEPARTMENT,
          c.recipientDepartmentIds.map((v) => key(departmentKeys, v)),
        );
      if (c.recipientTagIds && !proven(at, 'recipientTag'))
        emit(
          OP_RECIPIENT_TAG,
          c.recipientTagIds.map((v) => key(recipientTagKeys, v)),
        );
    }
    // Schedules last, after every other condition of the chain (own first, ancestors next): a rule another
    // condition rules out — including the key it is bucketed under, which may be an ancestor's — never has
    // its schedules evaluated, so it notes no calendar gaps.
    for (const c of r.chain) if (c.schedule) emit(OP_SCHEDULE, [c.scheduleId]);
    checks.set(r, out);
  }
  const genericKey = keys;
  // Per key, its rules (first-listed order) with the lanes each is in, as bits (1 << lane).
  const perKey: Map<CompiledRule, number>[] = Array.from({ length: keys + 1 }, () => new Map());
  const listUnder = (k: number, r: CompiledRule, l: number): void => {
    const at = perKey[k] as Map<CompiledRule, number>;
    at.set(r, (at.get(r) ?? 0) | (1 << l));
  };
  const dims: [Map<string, number>, (lane: RuleLane) => ReadonlyMap<string, CompiledRule[]>][] = [
    [recipientKeys, (lane) => lane.byRecipient],
    [corpKeys, (lane) => lane.bySenderCorp],
    [departmentKeys, (lane) => lane.byDepartment],
    [senderTagKeys, (lane) => lane.bySenderTag],
    [recipientTagKeys, (lane) => lane.byRecipientTag],
  ];
  lanes.forEach((lane, l) => {
    for (const [map, of] of dims)
      for (const [value, list] of of(lane))
        for (const r of list) {
          const k =
            map === departmentKeys && directBucket(r) ? key(departmentDirectKeys, value) : key(map, value);
          listUnder(k, r, l);
        }
    for (const r of lane.generic) listUnder(genericKey, r, l);
  });
  const spans = new Int32Array((keys + 1) * 2);
  const lists: number[] = [];
  perKey.forEach((rules, k) => {
    spans[k * 2] = lists.length;
    for (const [r, laneBits] of rules) {
      const body = checks.get(r) as number[];
      lists.push(
        r.precedence,
        (laneBits << 1) | (multiKey.has(r) ? 1 : 0),
        lists.length + 3 + body.length,
        ...body,
      );
    }
    spans[k * 2 + 1] = lists.length;
  });
  return {
    recipientKeys,
    corpKeys,
    departmentKeys,
    senderTagKeys,
    recipientTagKeys,
    departmentDirectKeys,
    genericKey,
    spans,
    lists: Int32Array.from(lists),
    bounds: Float64Array.from(bounds),
    mark: new Int32Array(keys + 1),
    directMark: new Int32Array(keys + 1),
    keyScratch: new Int32Array(keys + 2),
  };
}
