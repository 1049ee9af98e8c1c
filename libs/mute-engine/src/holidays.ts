import type { DayType, HolidayCalendar, HolidayCalendars, Weekday } from './model';

// The data file of chinese-days (pinned exactly in package.json): the State Council's arrangement of public
// holidays and make-up working days (调休), maintained by the package. Read as plain data, not through its API,
// so a lookup is one Map get.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const data = require('chinese-days/dist/chinese-days.json') as {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
};

const DAY_MS = 86_400_000;

function epochDayOf(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

/** "Name,中文名,days" → the Chinese name. */
function nameOf(value: string): string {
  const parts = value.split(',');
  return parts[1] ?? parts[0] ?? value;
}

/** Builds a calendar from explicit dates (tests and other countries' data use it too). */
export function calendarFrom(
  id: string,
  holidays: Readonly<Record<string, string>>,
  makeupWorkdays: Readonly<Record<string, string>>,
): HolidayCalendar {
  const kinds = new Map<number, { type: 'holiday' | 'makeup_workday'; name: string }>();
  const years = new Set<number>();
  for (const [date, value] of Object.entries(holidays)) {
    kinds.set(epochDayOf(date), { type: 'holiday', name: value });
    years.add(Number(date.slice(0, 4)));
  }
  for (const [date, value] of Object.entries(makeupWorkdays)) {
    kinds.set(epochDayOf(date), { type: 'makeup_workday', name: value });
    years.add(Number(date.slice(0, 4)));
  }
  return {
    id,
    dayType(epochDay: number, weekday: Weekday): DayType {
      const kind = kinds.get(epochDay);
      if (kind) return kind.type;
      return weekday >= 6 ? 'weekend' : 'workday';
    },
    nameOf: (epochDay) => kinds.get(epochDay)?.name ?? null,
    covers: (year) => years.has(year),
  };
}

let cn: HolidayCalendar | undefined;

/** Mainland China's public holidays and 调休 from chinese-days (id 'CN'). */
export function chineseDaysCalendar(): HolidayCalendar {
  if (!cn) {
    const holidays = Object.fromEntries(Object.entries(data.holidays).map(([d, v]) => [d, nameOf(v)]));
    const workdays = Object.fromEntries(Object.entries(data.workdays).map(([d, v]) => [d, nameOf(v)]));
    cn = calendarFrom('CN', holidays, workdays);
  }
  return cn;
}

export function defaultCalendars(): HolidayCalendars {
  return new Map([['CN', chineseDaysCalendar()]]);
}
