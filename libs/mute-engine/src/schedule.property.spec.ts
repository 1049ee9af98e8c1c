import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { defaultCalendars } from './holidays';
import type { SchedulePart, Weekday } from './model';
import { compileSchedule, scheduleActive } from './schedule';

// The engine's schedule evaluation (cached offsets, its own wall-clock resolution) against an independent
// computation with Temporal's own arithmetic (temporal-polyfill, pinned): the window's occurrence is built as
// ZonedDateTimes from PlainDates with Temporal's default 'compatible' disambiguation, and compared as instants.

const ZONES = [
  'Asia/Shanghai',
  'America/New_York',
  'Europe/Berlin',
  'America/Santiago', // DST transitions at midnight
  'Australia/Lord_Howe', // a 30-minute DST shift
  'Asia/Kolkata', // a :30 offset, no DST
  'Asia/Kathmandu', // a :45 offset
  'Pacific/Chatham', // :45 offsets with DST
  'America/St_Johns', // :30 offset with DST
  'Europe/London',
] as const;

const pad = (n: number): string => String(n).padStart(2, '0');
const hhmm = (minutes: number): string => `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;

function plainTime(minutes: number): Temporal.PlainTime {
  return Temporal.PlainTime.from({ hour: Math.floor(minutes / 60), minute: minutes % 60 });
}

/** The instant of (date, minutes) in the zone, minutes up to 1440 (the next day's midnight). */
function at(date: Temporal.PlainDate, minutes: number, zone: string): number {
  const d = minutes === 1440 ? date.add({ days: 1 }) : date;
  const t = minutes === 1440 ? Temporal.PlainTime.from('00:00') : plainTime(minutes);
  return d.toZonedDateTime({ timeZone: zone, plainTime: t }).epochMilliseconds;
}

function weeklyReference(
  days: readonly Weekday[],
  start: number,
  end: number,
  instant: number,
  zone: string,
): boolean {
  const local = Temporal.Instant.fromEpochMilliseconds(instant).toZonedDateTimeISO(zone).toPlainDate();
  const crosses = end <= start;
  for (const startDate of crosses ? [local, local.subtract({ days: 1 })] : [local]) {
    if (!days.includes(startDate.dayOfWeek as Weekday)) continue;
    const s = at(startDate, start, zone);
    const e = at(crosses ? startDate.add({ days: 1 }) : startDate, end, zone);
    if (s <= instant && instant < e) return true;
  }
  return false;
}

function datesReference(from: string, to: string, instant: number, zone: string): boolean {
  const local = Temporal.Instant.fromEpochMilliseconds(instant).toZonedDateTimeISO(zone).toPlainDate();
  return (
    Temporal.PlainDate.compare(local, Temporal.PlainDate.from(from)) >= 0 &&
    Temporal.PlainDate.compare(local, Temporal.PlainDate.from(to)) <= 0
  );
}

const MIN = Date.UTC(2024, 0, 1);
const MAX = Date.UTC(2029, 0, 1);

/** Random instants, half of them within three hours of one of the zone's DST transitions. */
function instantIn(zone: string): fc.Arbitrary<number> {
  const anywhere = fc.integer({ min: MIN, max: MAX });
  const nearTransition = fc
    .tuple(
      fc.integer({ min: MIN, max: MAX - 400 * 86_400_000 }),
      fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 }),
    )
    .map(([from, delta]) => {
      const next = Temporal.Instant.fromEpochMilliseconds(from)
        .toZonedDateTimeISO(zone)
        .getTimeZoneTransition('next');
      return next ? next.epochMilliseconds + delta : from + delta;
    });
  return fc.oneof(anywhere, nearTransition);
}

const minuteOfDay = fc.oneof(
  fc.integer({ min: 0, max: 1439 }),
  // Times in and around the usual transition hours.
  fc.integer({ min: 0, max: 240 }),
);

const ctx = () => ({ calendars: defaultCalendars(), gaps: new Set<string>() });

describe('schedule evaluation agrees with Temporal (property)', () => {
  it('Given a random weekly window (across midnight or not) in a random zone, When evaluated at a random instant, Then the engine and Temporal agree', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES).chain((zone) =>
          fc.record({
            zone: fc.constant(zone),
            instant: instantIn(zone),
            days: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), {
              minLength: 1,
              maxLength: 7,
            }) as fc.Arbitrary<Weekday[]>,
            start: minuteOfDay,
            end: fc.oneof(minuteOfDay, fc.constant(1440)),
          }),
        ),
        ({ zone, instant, days, start, end }) => {
          const part: SchedulePart = { kind: 'weekly', days, start: hhmm(start), end: hhmm(end) };
          const engine = scheduleActive(compileSchedule({ parts: [part] }, null), instant, zone, ctx());
          expect(engine).toBe(weeklyReference(days, start, end, instant, zone));
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('Given a random date range in a random zone, When evaluated at a random instant, Then the engine and Temporal agree', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES).chain((zone) =>
          fc.record({
            zone: fc.constant(zone),
            instant: instantIn(zone),
            from: fc.integer({ min: MIN, max: MAX }),
            length: fc.integer({ min: 0, max: 40 }),
          }),
        ),
        ({ zone, instant, from, length }) => {
          const start = Temporal.Instant.fromEpochMilliseconds(from).toZonedDateTimeISO('UTC').toPlainDate();
          const fromDate = start.toString();
          const toDate = start.add({ days: length }).toString();
          const part: SchedulePart = { kind: 'dates', from: fromDate, to: toDate };
          const engine = scheduleActive(compileSchedule({ parts: [part] }, null), instant, zone, ctx());
          expect(engine).toBe(datesReference(fromDate, toDate, instant, zone));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
