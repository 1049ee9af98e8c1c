/** One fixed window: at most `max` calls per `windowMs`, per corp and per API path. */
export type RateWindow = { windowMs: number; max: number };

/** WeCom's documented frequency limits per corp per API: 10,000 a minute and 150,000 an hour. */
export const WECOM_DOCUMENTED_LIMITS: RateWindow[] = [
  { windowMs: 60_000, max: 10_000 },
  { windowMs: 3_600_000, max: 150_000 },
];

export class RateLimiter {
  private readonly counts = new Map<string, { window: number; count: number }>();

  constructor(private windows: RateWindow[] = WECOM_DOCUMENTED_LIMITS) {}

  setWindows(windows: RateWindow[]): void {
    this.windows = windows;
    this.counts.clear();
  }

  /** Counts the call; false when any window is already full (the call is then answered 45009). */
  take(key: string, now = Date.now()): boolean {
    const entries = this.windows.map((w, i) => {
      const id = `${i}:${key}`;
      const window = Math.floor(now / w.windowMs);
      let entry = this.counts.get(id);
      if (!entry || entry.window !== window) {
        entry = { window, count: 0 };
        this.counts.set(id, entry);
      }
      return { entry, max: w.max };
    });
    if (entries.some(({ entry, max }) => entry.count >= max)) return false;
    for (const { entry } of entries) entry.count += 1;
    return true;
  }
}
