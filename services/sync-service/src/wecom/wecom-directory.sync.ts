import { randomUUID } from 'node:crypto';
import type { DirectoryObjectRef } from '../directory/domain/directory.model';
import { ProgressMeter, type SyncProgress } from './domain/sync-progress';
import type {
  DirectoryChangeSignal,
  DirectoryIngest,
  DirectorySource,
  PullProgress,
  PullResult,
  ReconcileReport,
} from '../directory/sources/directory-source.port';
import { directoryRefKey } from '../directory/sources/directory-source.port';

export const WECOM_SOURCE = 'wecom';

export type SyncLog = {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
};

/** How one full pull ended; `retryInMs` is when the schedule tries again (undefined: nothing scheduled). */
export type PullOutcome =
  | { tenantId: string; ok: true; report: ReconcileReport }
  | { tenantId: string; ok: false; error: Error; failedInARow: number; retryInMs: number | undefined };

/** A failed pull is retried after `firstMs`, doubling, at most `maxMs` (and never later than the interval). */
export type PullRetry = { firstMs: number; maxMs: number };
const DEFAULT_RETRY: PullRetry = { firstMs: 5_000, maxMs: 600_000 };

export type RefOutcome = { ref: DirectoryObjectRef; changed?: boolean; error?: string };

const refKey = directoryRefKey;

/** A full sync that finished: when, how long, what it reconciled. */
export type FullSyncRecord = { finishedAt: Date; seconds: number; report: ReconcileReport };

/** What went wrong lately, for whoever looks at the connector's status. */
export type ConnectorFailure = {
  at: Date;
  kind: 'full_sync' | 'callback_apply' | 'sync_item';
  ref: string;
  message: string;
};

const RECENT_FAILURES = 20;

/**
 * The connector's process: each change signal's refs are re-read through the source and applied one by one
 * (DirectoryIngest.applyObject); a full pull is reconciled (DirectoryIngest.reconcile). Signals are handled
 * in arrival order, one at a time, so two callbacks for the same user cannot apply out of order; a ref
 * already waiting is not queued twice (its re-read will see the latest state anyway).
 */
export class WeComDirectorySync {
  private queue: { tenantId: string; ref: DirectoryObjectRef; correlationId: string }[] = [];
  private queued = new Set<string>();
  private draining: Promise<void> | undefined;
  /** True from the drain's start to the moment its loop finds the queue empty (set and cleared synchronously). */
  private drainRunning = false;
  private pulling: Promise<FullSyncRecord> | undefined;
  private readonly listeners = new Set<(progress: SyncProgress) => void>();
  /** Refs signalled since the running pull started: newer than its snapshot (D45). */
  private signalledDuringPull: { tenantId: string; refs: Map<string, DirectoryObjectRef> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scheduled: { tenantId: string; intervalMs: number; retry: PullRetry } | undefined;
  private failedInARow = 0;
  private readonly pullListeners: ((outcome: PullOutcome) => void)[] = [];
  readonly outcomes: RefOutcome[] = [];
  lastFullSync: FullSyncRecord | undefined;
  lastFullSyncError: { at: Date; message: string } | undefined;
  lastCallbackAt: Date | undefined;
  /** Newest first. */
  readonly recentFailures: ConnectorFailure[] = [];

  constructor(
    private readonly source: DirectorySource,
    private readonly ingest: DirectoryIngest,
    private readonly log: SyncLog,
    private readonly maxOutcomes = 1000,
  ) {}

  /** Queues the signal's refs; resolves when they (and everything queued before them) were applied. */
  signal(signal: DirectoryChangeSignal): Promise<void> {
    this.lastCallbackAt = signal.receivedAt;
    return this.enqueue(signal);
  }

  private enqueue(signal: DirectoryChangeSignal): Promise<void> {
    const correlationId = randomUUID();
    const pull = this.signalledDuringPull;
    if (pull?.tenantId === signal.tenantId) for (const ref of signal.refs) pull.refs.set(refKey(ref), ref);
    for (const ref of signal.refs) {
      const key = `${signal.tenantId} ${refKey(ref)}`;
      if (this.queued.has(key)) continue;
      this.queued.add(key);
      this.queue.push({ tenantId: signal.tenantId, ref, correlationId });
    }
    // Not `draining ??= drain().finally(clear)`: the clear would come a microtask after the loop's last
    // look at the queue, and a signal queued in between would wait for the next one.
    if (!this.drainRunning) {
      this.drainRunning = true;
      this.draining = this.drain();
    }
    return this.draining ?? Promise.resolve();
  }

  /** Resolves when nothing is queued. */
  async idle(): Promise<void> {
    while (this.drainRunning) await this.draining;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const next = this.queue.shift();
      if (!next) {
        this.drainRunning = false; // in the same synchronous step as the empty check
        return;
      }
      const { tenantId, ref, correlationId } = next;
      this.queued.delete(`${tenantId} ${refKey(ref)}`);
      const outcome: RefOutcome = { ref };
      try {
        const state = await this.source.read(tenantId, ref);
        outcome.changed = (
          await this.ingest.applyObject(tenantId, state, { source: WECOM_SOURCE, correlationId })
        ).changed;
        this.log.info(
          { event: 'wecom.ref_applied', tenantId, ref: refKey(ref), changed: outcome.changed },
          'WeCom change applied',
        );
      } catch (error) {
        // The next full pull repairs what a failed re-read missed; say so where someone looks.
        outcome.error = (error as Error).message;
        this.failed({ at: new Date(), kind: 'callback_apply', ref: refKey(ref), message: outcome.error });
        this.log.warn(
          { event: 'wecom.ref_failed', tenantId, ref: refKey(ref), error: outcome.error },
          'WeCom change not applied',
        );
      }
      this.outcomes.push(outcome);
      if (this.outcomes.length > this.maxOutcomes) this.outcomes.shift();
    }
  }

  /** True while a full sync runs (a new call joins it). */
  get syncing(): boolean {
    return this.pulling !== undefined;
  }

  /**
   * pullAll → reconcile; a sync already running is joined, not started twice. `onProgress` hears the
   * sync's progress (throttled, with rate and ETA) from now until it ends, whoever started it.
   */
  async fullSync(tenantId: string, onProgress?: (progress: SyncProgress) => void): Promise<ReconcileReport> {
    return (await this.fullSyncRecord(tenantId, onProgress)).report;
  }

  async fullSyncRecord(
    tenantId: string,
    onProgress?: (progress: SyncProgress) => void,
  ): Promise<FullSyncRecord> {
    if (onProgress) this.listeners.add(onProgress);
    this.pulling ??= this.run(tenantId)
      .finally(() => (this.pulling = undefined))
      .then(
        (record) => {
          this.pulled({ tenantId, ok: true, report: record.report });
          return record;
        },
        (error: unknown) => {
          const failedInARow = this.failedInARow + 1;
          this.pulled({ tenantId, ok: false, error: asError(error), failedInARow, retryInMs: undefined });
          throw error;
        },
      );
    try {
      return await this.pulling;
    } finally {
      if (onProgress) this.listeners.delete(onProgress);
    }
  }

  private async run(tenantId: string): Promise<FullSyncRecord> {
    const started = Date.now();
    const meter = new ProgressMeter();
    const progress = (raw: PullProgress) => {
      const report = meter.tick(raw, Date.now());
      if (report) for (const listener of this.listeners) listener(report);
    };
    const signalled = { tenantId, refs: new Map<string, DirectoryObjectRef>() };
    this.signalledDuringPull = signalled;
    try {
      let report: ReconcileReport;
      let pulled: PullResult;
      try {
        pulled = await this.source.pullAll(tenantId, progress);
        // What was signalled during the pull is newer than the snapshot: the reconcile leaves it alone...
        report = await this.ingest.reconcile(
          tenantId,
          { ...pulled, superseded: [...signalled.refs.values()] },
          { source: WECOM_SOURCE, correlationId: randomUUID(), onProgress: progress },
        );
      } finally {
        this.signalledDuringPull = undefined;
      }
      // ...and all of it, including what arrived while the reconcile wrote, is re-read after it.
      if (signalled.refs.size > 0)
        await this.enqueue({ tenantId, refs: [...signalled.refs.values()], receivedAt: new Date() });
      const record = { finishedAt: new Date(), seconds: (Date.now() - started) / 1000, report };
      this.lastFullSync = record;
      for (const f of [...report.failures].reverse())
        this.failed({
          at: record.finishedAt,
          kind: 'sync_item',
          ref: f.ref,
          message: `${f.errcode} ${f.errmsg}`,
        });
      this.log.info(
        {
          event: 'wecom.full_sync',
          tenantId,
          ms: Date.now() - started,
          failures: pulled.failures.length,
          eventsWritten: report.eventsWritten,
        },
        'WeCom full pull reconciled',
      );
      return record;
    } catch (error) {
      const message = (error as Error).message;
      this.lastFullSyncError = { at: new Date(), message };
      this.failed({ at: this.lastFullSyncError.at, kind: 'full_sync', ref: '', message });
      throw error;
    }
  }

  private failed(failure: ConnectorFailure): void {
    this.recentFailures.unshift(failure);
    this.recentFailures.length = Math.min(this.recentFailures.length, RECENT_FAILURES);
  }

  /** Called after every full pull, whoever started it (health follows each one). */
  onPull(listener: (outcome: PullOutcome) => void): void {
    this.pullListeners.push(listener);
  }

  private pulled(outcome: PullOutcome): void {
    this.failedInARow = outcome.ok ? 0 : this.failedInARow + 1;
    const plan = this.scheduled;
    if (plan?.tenantId === outcome.tenantId) {
      const ms = outcome.ok ? plan.intervalMs : retryDelay(plan, this.failedInARow);
      this.arm(ms);
      if (!outcome.ok && ms > 0) outcome.retryInMs = ms;
    }
    if (!outcome.ok)
      this.log.warn(
        {
          event: 'wecom.full_sync_failed',
          tenantId: outcome.tenantId,
          error: outcome.error.message,
          failedInARow: outcome.failedInARow,
          retryInMs: outcome.retryInMs,
        },
        'WeCom full pull failed',
      );
    for (const listener of this.pullListeners) listener(outcome);
  }

  /**
   * Full pulls every `intervalSeconds` (0: none), the first now if `pullNow`; after a failed pull (scheduled
   * or not) the next one comes sooner, with backoff (`retry`), until one succeeds.
   */
  schedule(
    tenantId: string,
    intervalSeconds: number,
    options: { pullNow?: boolean; retry?: PullRetry } = {},
  ): void {
    this.stop();
    this.scheduled = { tenantId, intervalMs: intervalSeconds * 1000, retry: options.retry ?? DEFAULT_RETRY };
    if (options.pullNow) this.runScheduled();
    else this.arm(this.scheduled.intervalMs);
  }

  stop(): void {
    this.scheduled = undefined;
    this.arm(0);
  }

  private runScheduled(): void {
    const plan = this.scheduled;
    // The outcome is logged and re-arms the timer in pulled().
    if (plan) this.fullSync(plan.tenantId).catch(() => undefined);
  }

  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (ms <= 0 || !this.scheduled) return;
    this.timer = setTimeout(() => this.runScheduled(), ms);
    this.timer.unref();
  }
}

function retryDelay(plan: { intervalMs: number; retry: PullRetry }, failedInARow: number): number {
  const backoff = Math.min(plan.retry.firstMs * 2 ** (failedInARow - 1), plan.retry.maxMs);
  return plan.intervalMs > 0 ? Math.min(backoff, plan.intervalMs) : backoff;
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
