export { countCandidates, decide, decideReference } from './decide';
export { calendarFrom, chineseDaysCalendar, defaultCalendars } from './holidays';
export { defaultSettings, emptyRuleSet } from './settings';
export type {
  AppliedReason,
  DayType,
  DecideInput,
  GreenChannel,
  HolidayCalendar,
  HolidayCalendars,
  LocalDate,
  LocalTime,
  MuteDecision,
  MuteDirectoryView,
  MuteMessage,
  MuteOutcome,
  MuteRule,
  MuteRuleSet,
  MuteSettings,
  MuteTagView,
  PrecedenceTier,
  RuleEffect,
  RuleScope,
  Schedule,
  SchedulePart,
  Sender,
  SenderKind,
  TagMemberKind,
  TemporaryUnmute,
  Throttle,
  ThrottleCounts,
  ThrottleNote,
  Urgency,
  Weekday,
  WorkingTime,
} from './model';
export { PRECEDENCE } from './model';
export { MemoryDirectoryView, MemoryTagView, MemoryThrottleCounts, rule } from './memory';
export { SPECIFICITY_DIMENSIONS, ruleIndex } from './compile';
export {
  scheduleActive,
  compileSchedule,
  nextWorkingInstant,
  nextWorkingStart,
  compileWorkingTime,
} from './schedule';
export { offsetAt, resolveLocal, localFields, assertZone } from './zone';
