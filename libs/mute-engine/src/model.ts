/**
 * The pure mute engine's inputs and outputs. No I/O: mute-service feeds it from its own copies (D56, D66):
 * its event-sourced rules (MuteRuleSet), its copies of the directory and of tags (the two views below), the
 * holiday calendars (chinese-days data, holidays.ts), the temporary unmutes in force and the recipient's recent
 * alert counts for throttling. Instants are epoch milliseconds (UTC); local dates and times are wall-clock values
 * in the recipient's IANA zone.
 */

export type Urgency = 'normal' | 'urgent';

export type SenderKind = 'partner_staff' | 'external_customer' | 'employee';

/** Who sent the message: a partner enterprise's staff member, an external customer (WeCom external_userid), or
 * an employee of the tenant. */
export type Sender =
  | { kind: 'partner_staff'; corpId: string; staffId: string }
  | { kind: 'external_customer'; customerId: string }
  | { kind: 'employee'; employeeId: string };

export type MuteMessage = {
  tenantId: string;
  messageId: string;
  /** The employee who would be alerted. */
  recipientId: string;
  sender: Sender;
  /** The sender's enterprise: the partner corp for partner staff, the customer's corp when known, null otherwise. */
  senderCorpId: string | null;
  urgency: Urgency;
  /** Epoch ms. The decision is made for this instant (schedules, expiries, unmutes, throttle periods). */
  sentAt: number;
};

/** A local wall-clock time "HH:MM" (00:00–24:00; 24:00 only as an end). */
export type LocalTime = string;
/** A local calendar date "YYYY-MM-DD". */
export type LocalDate = string;
/** ISO weekday: 1 = Monday … 7 = Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/**
 * One part of a schedule; a schedule is active when ANY of its parts is. Wall-clock times resolve to instants as
 * Temporal's `disambiguation: 'compatible'` does (RFC 5545): a time in a DST gap moves forward by the gap, a time in
 * a DST fold takes the earlier instant.
 */
export type SchedulePart =
  /** Starts on each listed day at `start`, ends at `end` the same day, or the next day when end <= start
   * (19:00–09:00 runs from Monday 19:00 to Tuesday 09:00 when `days` has Monday). `days` omitted: every day;
   * `on`: only the days of that type in `calendar` (the day the window STARTS decides). */
  | {
      kind: 'weekly';
      days?: readonly Weekday[];
      on?: 'working_days' | 'non_working_days';
      start: LocalTime;
      end: LocalTime;
    }
  /** Whole local days from `from` to `to`, both included. */
  | { kind: 'dates'; from: LocalDate; to: LocalDate }
  /** Whole local days that are public holidays in the calendar (e.g. 国庆节), make-up working days excluded. */
  | { kind: 'holidays' }
  /** Whole local days that are not working days: weekends that are not make-up working days (调休), and holidays. */
  | { kind: 'non_working_days' };

export type Schedule = {
  parts: readonly SchedulePart[];
  /** The holiday calendar id the parts consult (`holidays`, `non_working_days`, `on`); default settings.calendar. */
  calendar?: string | null;
  /** An IANA zone overriding the recipient's (e.g. a team that keeps Shanghai hours abroad). */
  timeZone?: string | null;
};

/** Which messages a rule covers: every listed dimension must match (AND); within a dimension any value (OR).
 * An omitted or empty dimension matches everything. */
export type RuleScope = {
  senderKinds?: readonly SenderKind[];
  /** Partner enterprises (message.senderCorpId). */
  senderCorpIds?: readonly string[];
  /** Customer or partner tags carried by the sender: the customer's own tags, the sender's enterprise's tags
   * (tag members of kind `partner`), an employee sender's member tags. */
  senderTagIds?: readonly string[];
  recipientIds?: readonly string[];
  /** The recipient is in one of these departments (or below them when includeSubDepartments). */
  recipientDepartmentIds?: readonly string[];
  includeSubDepartments?: boolean;
  /** Member tags carried by the recipient or by one of the recipient's departments. */
  recipientTagIds?: readonly string[];
};

export type RuleEffect = 'notify' | 'silent' | 'hold' | 'throttle';

export type Throttle = {
  /** At most this many alerts per recipient per period, counted per sender enterprise (or per sender when none). */
  limit: number;
  per: 'hour' | 'day';
};

/**
 * A mute rule. Rules nest: a child applies only where all its ancestors' conditions hold too, and its effective
 * conditions are its own plus its ancestors' (so it is always at least as specific as its parent and wins over
 * it; D66). The effect of a parent does not leak into its children.
 */
export type MuteRule = {
  ruleId: string;
  parentId: string | null;
  name: string;
  scope: RuleScope;
  /** `normal`: only non-urgent messages (19:00–09:00 mutes non-urgent partners); `urgent`: only urgent ones. */
  urgency: 'any' | Urgency;
  /** Active only inside this schedule (in the recipient's zone). null: always. */
  schedule: Schedule | null;
  /** Epoch ms bounds (a short-term project partner muted until a date). null: unbounded. */
  activeFrom: number | null;
  activeUntil: number | null;
  effect: RuleEffect;
  /** Required when effect is `throttle` (a partner tagged 活动期). */
  throttle?: Throttle | null;
  /** Disabled rules are kept (and explained as not applying) but never match. */
  enabled: boolean;
};

/** A whitelist bound to a tag group (A级客户, 高净值客户白名单): a sender carrying any tag in the group, or the group
 * itself, is notified whatever the mute rules say. Optionally limited to some recipients. */
export type GreenChannel = {
  channelId: string;
  name: string;
  tagGroupId: string;
  recipientScope?: Pick<
    RuleScope,
    'recipientIds' | 'recipientDepartmentIds' | 'includeSubDepartments' | 'recipientTagIds'
  >;
  enabled: boolean;
};

/** A one-click "unmute for N hours" by tag: mute-service keeps it as a durable timer and passes the ones in force.
 * It covers messages whose sender, sender's enterprise or recipient carries the tag (or a tag under it). */
export type TemporaryUnmute = {
  unmuteId: string;
  tagId: string;
  actorId: string;
  startsAt: number;
  endsAt: number;
};

/** When held messages are released: the next working window in the recipient's zone. */
export type WorkingTime = {
  /** Local wall-clock ranges on each working day, start < end (no midnight crossing). */
  hours: readonly { start: LocalTime; end: LocalTime }[];
  /** Holiday calendar id; null: Monday–Friday are working days, no holidays. */
  calendar: string | null;
};

export type MuteSettings = {
  /** Default Asia/Shanghai. */
  defaultTimeZone: string;
  /** Per-employee IANA zones (from mute-service's own profile commands). */
  timeZones: ReadonlyMap<string, string>;
  /** Default calendar for schedules that name none (e.g. 'CN'). */
  calendar: string | null;
  workingTime: WorkingTime;
};

/**
 * A tenant's mute rules as folded by mute-service. Treat it as immutable: the engine caches its rule index per
 * MuteRuleSet object (a WeakMap on identity), so a change must produce a new object.
 */
export type MuteRuleSet = {
  tenantId: string;
  rules: ReadonlyMap<string, MuteRule>;
  greenChannels: ReadonlyMap<string, GreenChannel>;
  settings: MuteSettings;
  /** The highest mute-service event-store position folded in: the snapshot a decision is made at. */
  position: bigint;
};

export type TagMemberKind = 'employee' | 'department' | 'customer' | 'partner';

/** Tags and their members as mute-service's copy of tag-service's events keeps them. */
export interface MuteTagView {
  /** The tags whose members include this party (partner = a partner enterprise by corp id). */
  tagsOf(kind: TagMemberKind, id: string): readonly string[];
  /** The tag's parent (a tag group or null). undefined: the tag is unknown. */
  parentOf(tagId: string): string | null | undefined;
}

/** The enterprise directory as mute-service's copy of sync-service's events keeps it. */
export interface MuteDirectoryView {
  /** undefined: the employee is unknown (rules by department or recipient tag on departments then do not match). */
  employee(employeeId: string): { departmentIds: readonly string[] } | undefined;
  /** The department's parent; null at the root, undefined when unknown. */
  parentOf(departmentId: string): string | null | undefined;
}

/** What a holiday calendar says about one local date. */
export type DayType = 'workday' | 'weekend' | 'holiday' | 'makeup_workday';

export interface HolidayCalendar {
  readonly id: string;
  /** Days are epoch days (days since 1970-01-01 of the local date); weekday 1 = Monday … 7 = Sunday. */
  dayType(epochDay: number, weekday: Weekday): DayType;
  /** The holiday's name for a holiday or make-up working day (e.g. '国庆节'), or null. */
  nameOf(epochDay: number): string | null;
  /** Does the data cover this year? Outside it, only weekends are non-working (the decision says so). */
  covers(year: number): boolean;
}

export type HolidayCalendars = ReadonlyMap<string, HolidayCalendar>;

/** The recipient's alerts already NOTIFIED in a throttle period, kept by mute-service (a bench keeps its own). */
export interface ThrottleCounts {
  /** Alerts to `recipientId` counted under `key` in [periodStart, now). */
  alerts(recipientId: string, key: string, periodStart: number): number;
}

export type DecideInput = {
  message: MuteMessage;
  rules: MuteRuleSet;
  directory: MuteDirectoryView;
  tags: MuteTagView;
  holidays: HolidayCalendars;
  /** Temporary unmutes of this tenant (the engine checks their time bounds against sentAt). */
  unmutes: readonly TemporaryUnmute[];
  throttle: ThrottleCounts;
};

export type MuteOutcome = 'NOTIFY' | 'SILENT' | 'HOLD';

/** The precedence tiers, strongest first (D66). */
export type PrecedenceTier =
  'green_channel' | 'temporary_unmute' | 'urgent_override' | 'most_specific_rule' | 'throttle' | 'default';

export const PRECEDENCE: readonly PrecedenceTier[] = [
  'green_channel',
  'temporary_unmute',
  'urgent_override',
  'most_specific_rule',
  'throttle',
  'default',
];

/**
 * One thing that applied to the message. `specificity` (rules only) is the lexicographic key the most specific
 * rule is chosen by: [recipient, recipient department/tag, sender enterprise, sender tag, sender kind, schedule,
 * urgency, nesting depth] — each 1 when the rule's effective conditions name that dimension.
 */
export type AppliedReason = {
  source: 'green_channel' | 'temporary_unmute' | 'rule';
  id: string;
  name: string;
  tier: PrecedenceTier;
  effect: RuleEffect;
  specificity: readonly number[] | null;
  /** Human-readable: why it applied. */
  detail: string;
  won: boolean;
};

export type ThrottleNote = {
  ruleId: string;
  /** The counter key: `${ruleId}|${senderCorpId or sender id}`. mute-service counts an alert under it on NOTIFY. */
  key: string;
  per: 'hour' | 'day';
  periodStart: number;
  periodEnd: number;
  limit: number;
  alertsBefore: number;
  exhausted: boolean;
};

export type MuteDecision = {
  outcome: MuteOutcome;
  /** Epoch ms, HOLD only: the release moment (the next working window). */
  releaseAt: number | null;
  /** Everything that applied, in precedence order (strongest first); exactly one has won = true unless the
   * default decided. */
  reasons: readonly AppliedReason[];
  /** Which tier decided and why the winner beat the runner-up. */
  winner: { tier: PrecedenceTier; id: string | null; why: string };
  /** Throttles consulted (a NOTIFY under a throttle is an alert mute-service must count). */
  throttles: readonly ThrottleNote[];
  /** The unmute that let the message through (for its operation report), or null. */
  unmuteId: string | null;
  timeZone: string;
  /** Calendar years the decision needed that the holiday data does not cover. */
  calendarGaps: readonly string[];
  /** MuteRuleSet.position the decision was made at. */
  snapshot: bigint;
};
