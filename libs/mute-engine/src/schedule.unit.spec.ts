import { defaultCalendars } from './holidays';
import type { Schedule, WorkingTime } from './model';
import {
  type CalendarContext,
  compileSchedule,
  compileWorkingTime,
  nextWorkingInstant,
  scheduleActive,
  scheduleEnd,
} from './schedule';
import { resolveLocal } from './zone';

const ctx = (): CalendarContext => ({ calendars: defaultCalendars(), gaps: new Set() });
const z = (iso: string): number => Date.parse(iso);
const active = (s: Schedule, zone: string, iso: string): boolean =>
  scheduleActive(compileSchedule(s, 'CN'), z(iso), zone, ctx());
const weekly = (start: string, end: string): Schedule => ({ parts: [{ kind: 'weekly', start, end }] });

describe('schedules across DST', () => {
  const ny = 'America/New_York';
  const berlin = 'Europe/Berlin';

  it('Given New York springs forward on 2026-03-08 (02:00 → 03:00), When a window starts at 02:30, Then it starts at 03:30 EDT (moved by the gap)', () => {
    const s = weekly('02:30', '04:00');
    expect(active(s, ny, '2026-03-08T03:15:00-04:00')).toBe(false);
    expect(active(s, ny, '2026-03-08T03:30:00-04:00')).toBe(true);
    expect(active(s, ny, '2026-03-08T03:59:59-04:00')).toBe(true);
    expect(active(s, ny, '2026-03-08T04:00:00-04:00')).toBe(false);
    expect(resolveLocal(ny, Date.UTC(2026, 2, 8) / 86_400_000, 150)).toBe(z('2026-03-08T03:30:00-04:00'));
  });

  it('Given New York falls back on 2026-11-01 (01:59 EDT → 01:00 EST), When a window ends at 01:30, Then it ends at the first 01:30 (EDT)', () => {
    const s = weekly('22:00', '01:30');
    expect(active(s, ny, '2026-11-01T01:15:00-04:00')).toBe(true);
    expect(active(s, ny, '2026-11-01T01:30:00-04:00')).toBe(false);
    expect(active(s, ny, '2026-11-01T01:15:00-05:00')).toBe(false); // the repeated hour
  });

  it('Given quiet hours 19:00-09:00 in New York, When the night contains the spring-forward, Then they end at 09:00 EDT, 13 hours later, not an hour off', () => {
    const s = weekly('19:00', '09:00');
    expect(active(s, ny, '2026-03-07T19:00:00-05:00')).toBe(true);
    expect(active(s, ny, '2026-03-08T08:59:59-04:00')).toBe(true);
    expect(active(s, ny, '2026-03-08T09:00:00-04:00')).toBe(false);
    const end = scheduleEnd(compileSchedule(s, null), z('2026-03-07T19:00:00-05:00'), ny, ctx());
    expect(end - z('2026-03-07T19:00:00-05:00')).toBe(13 * 3_600_000);
  });

  it('Given Berlin springs forward on 2026-03-29 (02:00 → 03:00), When quiet hours run 19:00-09:00, Then 09:00 CEST ends them and 08:30 CEST is inside', () => {
    const s = weekly('19:00', '09:00');
    expect(active(s, berlin, '2026-03-29T08:30:00+02:00')).toBe(true);
    expect(active(s, berlin, '2026-03-29T09:00:00+02:00')).toBe(false);
    expect(active(s, berlin, '2026-03-29T02:30:00+02:00')).toBe(true); // i.e. 01:30 CET + 1 h, inside the night
  });

  it('Given Berlin falls back on 2026-10-25 (03:00 CEST → 02:00 CET), When a window runs 02:00-02:30, Then only the first 02:00-02:30 (CEST) is inside', () => {
    const s = weekly('02:00', '02:30');
    expect(active(s, berlin, '2026-10-25T02:10:00+02:00')).toBe(true);
    expect(active(s, berlin, '2026-10-25T02:10:00+01:00')).toBe(false);
  });

  it('Given Berlin falls back, When quiet hours 19:00-09:00 contain it, Then the night lasts 15 hours', () => {
    const start = z('2026-10-24T19:00:00+02:00');
    const end = scheduleEnd(compileSchedule(weekly('19:00', '09:00'), null), start, berlin, ctx());
    expect(end).toBe(z('2026-10-25T09:00:00+01:00'));
    expect(end - start).toBe(15 * 3_600_000);
  });
});

describe('schedules across midnight and by day', () => {
  const sh = 'Asia/Shanghai';

  it('Given a 21:00-07:00 window on Mondays only, When Tuesday 00:30 and 06:59 come, Then it is active (it started Monday); Tuesday 21:30 is not', () => {
    const s: Schedule = { parts: [{ kind: 'weekly', days: [1], start: '21:00', end: '07:00' }] };
    expect(active(s, sh, '2026-03-09T21:00:00+08:00')).toBe(true); // Monday
    expect(active(s, sh, '2026-03-10T00:30:00+08:00')).toBe(true);
    expect(active(s, sh, '2026-03-10T06:59:59+08:00')).toBe(true);
    expect(active(s, sh, '2026-03-10T07:00:00+08:00')).toBe(false);
    expect(active(s, sh, '2026-03-10T21:30:00+08:00')).toBe(false); // Tuesday
    expect(active(s, sh, '2026-03-09T00:30:00+08:00')).toBe(false); // Sunday night was not listed
  });

  it('Given a window on working days only, When the make-up working Sunday 2026-02-28 (Saturday) and the holiday 2026-02-16 come, Then active, not active', () => {
    const s: Schedule = { parts: [{ kind: 'weekly', on: 'working_days', start: '12:00', end: '13:30' }] };
    expect(active(s, sh, '2026-02-28T12:30:00+08:00')).toBe(true);
    expect(active(s, sh, '2026-02-16T12:30:00+08:00')).toBe(false);
    expect(active(s, sh, '2026-03-02T12:30:00+08:00')).toBe(true);
  });

  it('Given chained parts (non-working days and a night window), When the end is computed from Friday night, Then it runs to the make-up workday morning', () => {
    const s: Schedule = {
      parts: [{ kind: 'non_working_days' }, { kind: 'weekly', start: '19:00', end: '09:00' }],
    };
    // Friday 2026-01-02 is a holiday, Saturday 01-03 too, Sunday 01-04 is a make-up working day.
    const end = scheduleEnd(compileSchedule(s, 'CN'), z('2026-01-01T20:00:00+08:00'), sh, ctx());
    expect(end).toBe(z('2026-01-04T09:00:00+08:00'));
  });

  it('Given working hours 09:00-12:00 and 13:30-18:00, When something waits from lunch, from the evening, and from a holiday week, Then the next working instants are right', () => {
    const w: WorkingTime = {
      hours: [
        { start: '13:30', end: '18:00' },
        { start: '09:00', end: '12:00' },
      ],
      calendar: 'CN',
    };
    const cw = compileWorkingTime(w);
    expect(nextWorkingInstant(cw, z('2026-03-10T12:10:00+08:00'), sh, ctx())).toBe(
      z('2026-03-10T13:30:00+08:00'),
    );
    expect(nextWorkingInstant(cw, z('2026-03-10T10:10:00+08:00'), sh, ctx())).toBe(
      z('2026-03-10T10:10:00+08:00'),
    );
    expect(nextWorkingInstant(cw, z('2026-03-10T18:00:00+08:00'), sh, ctx())).toBe(
      z('2026-03-11T09:00:00+08:00'),
    );
    expect(nextWorkingInstant(cw, z('2026-02-14T20:00:00+08:00'), sh, ctx())).toBe(
      z('2026-02-24T09:00:00+08:00'),
    );
  });

  it('Given a malformed time, When the schedule is compiled, Then it is refused', () => {
    expect(() => compileSchedule(weekly('25:00', '09:00'), null)).toThrow(RangeError);
    expect(() => compileSchedule(weekly('9:00', '10:00'), null)).toThrow(RangeError);
  });
});
