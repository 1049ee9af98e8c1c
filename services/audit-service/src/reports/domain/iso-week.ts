/** ISO 8601 weeks in UTC: Monday 00:00 to the next Monday. Weekly reports are per UTC week. */
const DAY = 86_400_000;

export function weekStart(at: Date): Date {
  const midnight = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  return new Date(midnight - ((new Date(midnight).getUTCDay() + 6) % 7) * DAY);
}

/** "2026-W48" for the week `start` (a Monday) begins. */
export function weekId(start: Date): string {
  // The ISO year is the year of the week's Thursday.
  const thursday = new Date(start.getTime() + 3 * DAY);
  const year = thursday.getUTCFullYear();
  const firstThursday = weekStart(new Date(Date.UTC(year, 0, 4))).getTime() + 3 * DAY;
  const week = 1 + Math.round((thursday.getTime() - firstThursday) / (7 * DAY));
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The Monday that starts ISO week "YYYY-Www", or undefined if that year has no such week. */
export function startOfWeekId(id: string): Date | undefined {
  const [year, week] = id.split('-W').map(Number) as [number, number];
  const start = new Date(weekStart(new Date(Date.UTC(year, 0, 4))).getTime() + (week - 1) * 7 * DAY);
  return weekId(start) === id ? start : undefined;
}

export const nextWeek = (start: Date): Date => new Date(start.getTime() + 7 * DAY);
