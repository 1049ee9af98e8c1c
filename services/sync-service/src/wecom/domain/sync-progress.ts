import type { PullProgress } from '../../directory/sources/directory-source.port';

/** A progress report as callers see it: the phase's counts with its rate and what is left at that rate. */
export type SyncProgress = PullProgress & { ratePerSecond: number; etaSeconds: number };

/**
 * Turns raw progress ticks (one per department read, per write) into the few reports a caller wants:
 * the first and last tick of each phase always, otherwise at most one per `everyMs`. The rate is the
 * phase's recent one (the last `windowMs`; the whole phase until then): a phase's speed changes as it
 * goes (a reconcile writes the department tree one by one, then employees 32 at once), and an ETA from
 * the phase's average would lag it. The ETA is what is left at that rate (0 once done or unknown).
 */
export class ProgressMeter {
  private phase: string | undefined;
  private phaseStarted = 0;
  private lastSent = -Infinity;
  private samples: { t: number; done: number }[] = [];

  constructor(
    private readonly everyMs = 250,
    private readonly windowMs = 10_000,
  ) {}

  /** The report to send for this tick at time `now` (ms), or undefined to skip it. */
  tick(progress: PullProgress, now: number): SyncProgress | undefined {
    const first = progress.phase !== this.phase;
    if (first) {
      this.phase = progress.phase;
      this.phaseStarted = now;
      this.samples = [];
    }
    this.samples.push({ t: now, done: progress.done });
    // Keep the newest sample at least `windowMs` old as the window's start.
    while (this.samples.length > 1 && this.samples[1]!.t <= now - this.windowMs) this.samples.shift();
    const last = progress.done >= progress.total;
    if (!first && !last && now - this.lastSent < this.everyMs) return undefined;
    this.lastSent = now;
    const from =
      now - this.phaseStarted >= this.windowMs ? this.samples[0]! : { t: this.phaseStarted, done: 0 };
    const seconds = (now - from.t) / 1000;
    const ratePerSecond = seconds > 0 ? (progress.done - from.done) / seconds : 0;
    const left = Math.max(0, progress.total - progress.done);
    return {
      ...progress,
      ratePerSecond: Math.round(ratePerSecond * 10) / 10,
      etaSeconds: ratePerSecond > 0 ? Math.round((left / ratePerSecond) * 10) / 10 : 0,
    };
  }
}
