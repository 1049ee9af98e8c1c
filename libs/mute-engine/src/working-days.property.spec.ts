import fc from 'fast-check';
import { defaultCalendars } from './holidays';
import {
  type CalendarContext,
  compileWorkingTime,
  nextWorkingInstant,
  nextWorkingInstantKept,
  nextWorkingStart,
  nextWorkingStartKept,
} from './schedule';
import { resolveLocal } from './zone';

// decide() releases holds on kept working days (schedule.ts workingDayOf, D115): each local day's windows and the
// next working window, with the calendar gaps walking to them notes, kept per compiled working time and replayed.
// Property: for random instants — many exactly on a window's start or end, or a millisecond either side — in
// years the CN data covers and years it does not, in zones with and without DST, and with an unknown calendar id,
// the kept answers and the gaps they note equal the day-by-day walks'. One compiled working time per
// configuration serves every sample, so kept days are reused (and replaced) across samples.

const ZONES = ['Asia/Shanghai', 'America/New_York', 'Europe/Berlin', 'Asia/Kathmandu'];
const WORKING = [
  { hours: [{ start: '09:00', end: '18:00' }], calendar: 'CN' },
  {
    hours: [
      { start: '09:00', end: '12:00' },
      { start: '13:30', end: '18:00' },
    ],
    calendar: 'CN',
  },
  { hours: [{ start: '00:00', end: '24:00' }], calendar: null },
  { hours: [{ start: '08:00', end: '17:00' }], calendar: 'XX' }, // a calendar the decision's calendars lack
].map(compileWorkingTime);
// Minutes on which windows start or end, and others.
const MINUTES = [0, 480, 540, 720, 810, 1020, 1080, 1440];
const FIRST_DAY = Math.floor(Date.UTC(2025, 0, 1) / 86_400_000);
const LAST_DAY = Math.floor(Date.UTC(2028, 11, 31) / 86_400_000);

const sampleArb = fc.record({
  working: fc.nat(WORKING.length - 1),
  zone: fc.constantFrom(...ZONES),
  day: fc.integer({ min: FIRST_DAY, max: LAST_DAY }),
  minute: fc.oneof(fc.constantFrom(...MINUTES), fc.integer({ min: 0, max: 1439 })),
  nudge: fc.constantFrom(-1, 0, 0, 1, 17_000),
});

describe('kept working days against the day-by-day walks', () => {
  const calendars = defaultCalendars();
  const ctx = (): CalendarContext => ({ calendars, gaps: new Set() });

  it('Given random instants near working windows, When the next working instant and start are asked, Then the kept days answer as the walks do and note the same calendar gaps', () => {
    fc.assert(
      fc.property(fc.array(sampleArb, { minLength: 1, maxLength: 30 }), (samples) => {
        for (const s of samples) {
          const w = WORKING[s.working] as (typeof WORKING)[number];
          const instant = resolveLocal(s.zone, s.day, s.minute) + s.nudge;
          const walked = ctx();
          const kept = ctx();
          expect(nextWorkingInstantKept(w, instant, s.zone, kept)).toBe(
            nextWorkingInstant(w, instant, s.zone, walked),
          );
          expect([...kept.gaps].sort()).toEqual([...walked.gaps].sort());
          const walkedStart = ctx();
          const keptStart = ctx();
          expect(nextWorkingStartKept(w, instant, s.zone, keptStart)).toBe(
            nextWorkingStart(w, instant, s.zone, walkedStart),
          );
          expect([...keptStart.gaps].sort()).toEqual([...walkedStart.gaps].sort());
        }
      }),
      { numRuns: 1500 },
    );
  });
});
