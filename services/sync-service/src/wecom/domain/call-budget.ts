// WeCom's documented frequency limits are per corp and per API: 10,000 calls a minute and 150,000 an hour
// (https://developer.work.weixin.qq.com/document/path/90312). The client spends from this budget before
// each call, so a full pull of a large directory waits for room instead of provoking 45009s.

export type CallLimits = { perMinute: number; perHour: number };

export const WECOM_DOCUMENTED_LIMITS: CallLimits = { perMinute: 10_000, perHour: 150_000 };

/** Calls per API path counted in one-second buckets over the last hour. */
export class CallBudget {
  private readonly paths = new Map<string, Map<number, number>>();

  constructor(private readonly limits: CallLimits) {}

  /** 0 when the call may go now (and it is counted), else the milliseconds to wait before asking again. */
  take(path: string, nowMs: number): number {
    const second = Math.floor(nowMs / 1000);
    let buckets = this.paths.get(path);
    if (!buckets) this.paths.set(path, (buckets = new Map()));
    let minute = 0;
    let hour = 0;
    let oldestInMinute = second;
    let oldestInHour = second;
    for (const [at, count] of buckets) {
      if (at <= second - 3600) {
        buckets.delete(at);
        continue;
      }
      hour += count;
      oldestInHour = Math.min(oldestInHour, at);
      if (at > second - 60) {
        minute += count;
        oldestInMinute = Math.min(oldestInMinute, at);
      }
    }
    if (minute < this.limits.perMinute && hour < this.limits.perHour) {
      buckets.set(second, (buckets.get(second) ?? 0) + 1);
      return 0;
    }
    // Room comes back when the oldest bucket of the exhausted window leaves it.
    const freeAt = hour >= this.limits.perHour ? oldestInHour + 3600 : oldestInMinute + 60;
    return Math.max(1, freeAt * 1000 - nowMs);
  }
}
