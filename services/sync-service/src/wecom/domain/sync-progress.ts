import type { PullProgress } from '../../directory/sources/directory-source.port';

/** A progress report as callers see it: the phase's counts with its rate and what is left at that rate. */
export type SyncProgress = PullProgress & { ratePerSecond: number; etaSeconds: number };

/**
 * Turns raw progress ticks (one per department read, per write) into the few reports a caller wants:
 * the first and last tick of each phase always, otherwise at most one per `everyMs`. The rate counts
 * the phase's items since the phase began; the ETA is what is left at that rate (0 once done or unknown).
 */
export class ProgressMeter {
  private phase: string | undefined;
  private phaseStarted = 0;
  private lastSent = -Infinity;

  constructor(private readonly everyMs = 250) {}

  /** The report to send for this tick at time `now` (ms), or undefined to skip it. */
  tick(progress: PullProgress, now: number): SyncProgress | undefined {
    const first = progress.phase !== this.phase;
    if (first) {
      this.phase = progress.phase;
      this.phaseStarted = now;
    }
    const last = progress.done >= progress.total;
    if (!first && !last && now - this.lastSent < this.everyMs) return undefined;
    this.lastSent = now;
    const seconds = (now - this.phaseStarted) / 1000;
    const ratePerSecond = seconds > 0 ? progress.done / seconds : 0;
    const left = Math.max(0, progress.total - progress.done);
    return {
      ...progress,
      ratePerSecond: Math.round(ratePerSecond * 10) / 10,
      etaSeconds: ratePerSecond > 0 ? Math.round((left / ratePerSecond) * 10) / 10 : 0,
    };
  }
}
