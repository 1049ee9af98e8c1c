import type {
  DayType,
  HolidayCalendar,
  HolidayCalendars,
  Schedule,
  SchedulePart,
  Weekday,
  WorkingTime,
} from './model';
import { localFields, parseLocalDate, parseLocalTime, resolveLocal, weekdayOf, yearOfDay } from './zone';

/**
 * Schedule evaluation in a recipient's zone. A schedule part is a set of occurrences, each an interval of instants
 * [start, end) whose ends are wall-clock times resolved as Temporal's 'compatible' does (zone.ts); whole-day parts
 * cover the instants whose local date qualifies. A schedule is active when one of its parts has an occurrence
 * containing the instant.
 */

/** Where the evaluation consults a calendar for a year its data does not cover, the year lands here. */
export type CalendarContext = { calendars: HolidayCalendars; gaps: Set<string> };

type CompiledPart =
  | {
      kind: 'weekly';
      days: number;
      on: 'working_days' | 'non_working_days' | null;
      start: number;
      end: number;
    }
  | { kind: 'dates'; from: number; to: number }
  | { kind: 'holidays' }
  | { kind: 'non_working_days' };

export type CompiledSchedule = {
  parts: readonly CompiledPart[];
  calendar: string | null;
  timeZone: string | null;
};

const ALL_DAYS = 0b1111111;

export function compileSchedule(schedule: Schedule, defaultCalendar: string | null): CompiledSchedule {
  return {
    parts: schedule.parts.map(compilePart),
    calendar: schedule.calendar === undefined ? defaultCalendar : schedule.calendar,
    timeZone: schedule.timeZone ?? null,
  };
}

function compilePart(part: SchedulePart): CompiledPart {
  switch (part.kind) {
    case 'weekly': {
      const days =
        part.days && part.days.length > 0 ? part.days.reduce((m, d) => m | (1 << (d - 1)), 0) : ALL_DAYS;
      const start = parseLocalTime(part.start);
      const end = parseLocalTime(part.end);
      if (start === 1440) throw new RangeError('a weekly window cannot start at 24:00');
      return { kind: 'weekly', days, on: part.on ?? null, start, end };
    }
    case 'dates':
      return { kind: 'dates', from: parseLocalDate(part.from), to: parseLocalDate(part.to) };
    case 'holidays':
      return { kind: 'holidays' };
    case 'non_working_days':
      return { kind: 'non_working_days' };
  }
}

// Day types per calendar object, by epoch day (1970 to 2149): 0 not looked up yet, else 1 + the type's place in
// DAY_TYPES, + 8 when the calendar's data does not cover the day's year. A calendar's answers are data (a pinned
// package's file, calendarFrom's dates) and never change, so they are kept per calendar object: a decision asks
// for the same few days again and again.
const DAY_TYPES: readonly DayType[] = ['workday', 'weekend', 'holiday', 'makeup_workday'];
const TABLE_DAYS = 1 << 16;
const dayTables = new WeakMap<HolidayCalendar, Uint8Array>();
let lastCalendar: HolidayCalendar | null = null;
let lastTable: Uint8Array | null = null;

/** The calendar's view of a local day; without a calendar (or outside its data) only Saturday and Sunday rest. */
export function dayTypeOf(epochDay: number, calendarId: string | null, ctx: CalendarContext): DayType {
  const calendar = calendarId === null ? undefined : ctx.calendars.get(calendarId);
  if (calendarId !== null && calendar === undefined) ctx.gaps.add(`${calendarId}:unknown`);
  if (!calendar) return weekdayOf(epochDay) >= 6 ? 'weekend' : 'workday';
  if (epochDay >= 0 && epochDay < TABLE_DAYS) {
    let table = calendar === lastCalendar ? lastTable : dayTables.get(calendar);
    if (!table) {
      table = new Uint8Array(TABLE_DAYS);
      dayTables.set(calendar, table);
    }
    lastCalendar = calendar;
    lastTable = table;
    let code = table[epochDay] as number;
    if (code === 0) {
      const type = DAY_TYPES.indexOf(calendar.dayType(epochDay, weekdayOf(epochDay)));
      if (type >= 0) {
        code = 1 + type + (calendar.covers(yearOfDay(epochDay)) ? 0 : 8);
        table[epochDay] = code;
      }
    }
    if (code !== 0) {
      if (code >= 8) ctx.gaps.add(`${calendar.id}:${yearOfDay(epochDay)}`);
      return DAY_TYPES[(code & 7) - 1] as DayType;
    }
  }
  const year = yearOfDay(epochDay);
  if (!calendar.covers(year)) ctx.gaps.add(`${calendar.id}:${year}`);
  return calendar.dayType(epochDay, weekdayOf(epochDay));
}

export function isWorkingDay(type: DayType): boolean {
  return type === 'workday' || type === 'makeup_workday';
}

/**
 * The end of the occurrence of `part` that contains `instant` (an interval [start, end)), or NaN when none does.
 * With `needEnd` false a whole-day part answers any number without resolving its end (scheduleActive only asks
 * whether there is one).
 */
function occurrenceEnd(
  part: CompiledPart,
  instant: number,
  zone: string,
  calendar: string | null,
  ctx: CalendarContext,
  needEnd: boolean,
): number {
  const { day, minute, weekday } = localFields(zone, instant);
  switch (part.kind) {
    case 'weekly': {
      const crosses = part.end <= part.start;
      // An occurrence that started today, or (crossing midnight) yesterday. 'compatible' only moves times
      // forward, so no occurrence of an earlier day reaches into today.
      // (Two plain iterations, not a loop over [day, day - 1]: this runs per schedule part per decision.)
      for (let k = 0; k < (crosses ? 2 : 1); k += 1) {
        const startDay = day - k;
        const startWeekday: Weekday = startDay === day ? weekday : weekdayOf(startDay);
        if ((part.days & (1 << (startWeekday - 1))) === 0) continue;
        // Cheap wall-clock pre-check before resolving instants (exact below).
        if (startDay === day && !crosses && (minute < part.start - 180 || minute >= part.end + 180)) continue;
        if (part.on !== null) {
          const working = isWorkingDay(dayTypeOf(startDay, calendar, ctx));
          if (working !== (part.on === 'working_days')) continue;
        }
        const start = resolveLocal(zone, startDay, part.start);
        if (instant < start) continue;
        const end = resolveLocal(zone, crosses ? startDay + 1 : startDay, part.end);
        if (instant < end) return end;
      }
      return Number.NaN;
    }
    case 'dates':
      if (day < part.from || day > part.to) return Number.NaN;
      return needEnd ? resolveLocal(zone, part.to + 1, 0) : 0;
    case 'holidays':
      if (dayTypeOf(day, calendar, ctx) !== 'holiday') return Number.NaN;
      return needEnd ? resolveLocal(zone, day + 1, 0) : 0;
    case 'non_working_days':
      if (isWorkingDay(dayTypeOf(day, calendar, ctx))) return Number.NaN;
      return needEnd ? resolveLocal(zone, day + 1, 0) : 0;
  }
}

export function scheduleActive(
  s: CompiledSchedule,
  instant: number,
  zone: string,
  ctx: CalendarContext,
): boolean {
  const z = s.timeZone ?? zone;
  const parts = s.parts;
  for (let i = 0; i < parts.length; i += 1)
    if (!Number.isNaN(occurrenceEnd(parts[i] as CompiledPart, instant, z, s.calendar, ctx, false)))
      return true;
  return false;
}

/** The first instant at or after `instant` at which the schedule is not active (chained occurrences followed). */
export function scheduleEnd(
  s: CompiledSchedule,
  instant: number,
  zone: string,
  ctx: CalendarContext,
): number {
  const z = s.timeZone ?? zone;
  let at = instant;
  for (let guard = 0; guard < 1000; guard += 1) {
    let next = at;
    for (const part of s.parts) {
      const end = occurrenceEnd(part, at, z, s.calendar, ctx, true);
      if (end > next) next = end;
    }
    if (next === at) return at;
    at = next;
  }
  return at;
}

export type CompiledWorkingTime = {
  hours: readonly { start: number; end: number }[];
  calendar: string | null;
  /** workingDayOf's answers, direct-mapped by local day (decide's releases; see nextWorkingInstantKept). */
  days: (WorkingDay | undefined)[];
};

export function compileWorkingTime(w: WorkingTime): CompiledWorkingTime {
  const hours = w.hours
    .map((h) => ({ start: parseLocalTime(h.start), end: parseLocalTime(h.end) }))
    .sort((a, b) => a.start - b.start);
  for (const h of hours) if (h.end <= h.start) throw new RangeError('working hours must not cross midnight');
  return {
    hours,
    calendar: w.calendar,
    days: new Array<WorkingDay | undefined>(WORKING_DAY_SLOTS).fill(undefined),
  };
}

const WORKING_DAY_SLOTS = 1024;

/**
 * What nextWorkingInstant and nextWorkingStart read about one local day in one zone and calendar: the day's
 * windows (when it is a working day) and the first window of the first working day after it (NaN: none within
 * their 400 days), with the calendar gaps consulting each part notes. All of it is a pure function of the
 * working time, the zone, the calendar object and the day, so it is kept (per compiled working time, one slot
 * per day number) and replayed: the same answer and the same gaps as walking the days again.
 */
type WorkingDay = {
  day: number;
  zone: string;
  calendar: HolidayCalendar | undefined;
  gaps: readonly string[];
  working: boolean;
  starts: readonly number[];
  ends: readonly number[];
  nextStart: number;
  nextEnd: number;
  nextGaps: readonly string[];
};

function workingDayOf(w: CompiledWorkingTime, day: number, zone: string, ctx: CalendarContext): WorkingDay {
  const calendar = w.calendar === null ? undefined : ctx.calendars.get(w.calendar);
  const slot = day & (WORKING_DAY_SLOTS - 1);
  const kept = w.days[slot];
  if (kept !== undefined && kept.day === day && kept.zone === zone && kept.calendar === calendar) return kept;
  const own: CalendarContext = { calendars: ctx.calendars, gaps: new Set() };
  const working = isWorkingDay(dayTypeOf(day, w.calendar, own));
  const later: CalendarContext = { calendars: ctx.calendars, gaps: new Set() };
  let nextStart = Number.NaN;
  let nextEnd = Number.NaN;
  const h = w.hours[0] as { start: number; end: number };
  for (let d = day + 1; d < day + 400; d += 1) {
    if (!isWorkingDay(dayTypeOf(d, w.calendar, later))) continue;
    nextStart = resolveLocal(zone, d, h.start);
    nextEnd = resolveLocal(zone, d, h.end);
    break;
  }
  const entry: WorkingDay = {
    day,
    zone,
    calendar,
    gaps: [...own.gaps],
    working,
    starts: working ? w.hours.map((x) => resolveLocal(zone, day, x.start)) : [],
    ends: working ? w.hours.map((x) => resolveLocal(zone, day, x.end)) : [],
    nextStart,
    nextEnd,
    nextGaps: [...later.gaps],
  };
  w.days[slot] = entry;
  return entry;
}

function noteGaps(gaps: readonly string[], ctx: CalendarContext): void {
  for (let i = 0; i < gaps.length; i += 1) ctx.gaps.add(gaps[i] as string);
}

/** nextWorkingInstant on the kept days (workingDayOf): the same answer and gaps without walking the days. */
export function nextWorkingInstantKept(
  w: CompiledWorkingTime,
  instant: number,
  zone: string,
  ctx: CalendarContext,
): number {
  if (w.hours.length === 0) return instant;
  const d = workingDayOf(w, localFields(zone, instant).day, zone, ctx);
  noteGaps(d.gaps, ctx);
  if (d.working)
    for (let i = 0; i < d.ends.length; i += 1)
      if (instant < (d.ends[i] as number)) return Math.max(instant, d.starts[i] as number);
  // The walk would go on to the next working day's first window (an instant past its end, or none: walk).
  if (!(instant < d.nextEnd)) return nextWorkingInstant(w, instant, zone, ctx);
  noteGaps(d.nextGaps, ctx);
  return Math.max(instant, d.nextStart);
}

/** nextWorkingStart on the kept days (workingDayOf): the same answer and gaps without walking the days. */
export function nextWorkingStartKept(
  w: CompiledWorkingTime,
  instant: number,
  zone: string,
  ctx: CalendarContext,
): number {
  if (w.hours.length === 0) return instant;
  const d = workingDayOf(w, localFields(zone, instant).day, zone, ctx);
  noteGaps(d.gaps, ctx);
  if (d.working)
    for (let i = 0; i < d.starts.length; i += 1)
      if ((d.starts[i] as number) > instant) return d.starts[i] as number;
  if (!(d.nextStart > instant)) return nextWorkingStart(w, instant, zone, ctx);
  noteGaps(d.nextGaps, ctx);
  return d.nextStart;
}

/**
 * The first instant at or after `instant` inside a working window (a working-hours range on a working day: a
 * weekday that is not a holiday, or a make-up working day). With no hours configured, `instant` itself.
 */
export function nextWorkingInstant(
  w: CompiledWorkingTime,
  instant: number,
  zone: string,
  ctx: CalendarContext,
): number {
  if (w.hours.length === 0) return instant;
  const first = localFields(zone, instant).day;
  // 400 days: longer than any run of non-working days a calendar can hold.
  for (let day = first; day < first + 400; day += 1) {
    if (!isWorkingDay(dayTypeOf(day, w.calendar, ctx))) continue;
    for (const h of w.hours) {
      const end = resolveLocal(zone, day, h.end);
      if (instant < end) return Math.max(instant, resolveLocal(zone, day, h.start));
    }
  }
  return instant;
}

/** The start of the next working window after `instant` (a window already open does not count). */
export function nextWorkingStart(
  w: CompiledWorkingTime,
  instant: number,
  zone: string,
  ctx: CalendarContext,
): number {
  if (w.hours.length === 0) return instant;
  const first = localFields(zone, instant).day;
  for (let day = first; day < first + 400; day += 1) {
    if (!isWorkingDay(dayTypeOf(day, w.calendar, ctx))) continue;
    for (const h of w.hours) {
      const start = resolveLocal(zone, day, h.start);
      if (start > instant) return start;
    }
  }
  return instant;
}
