import { randomUUID } from 'node:crypto';
import type { DirectoryObjectRef } from '../directory/domain/directory.model';
import { ProgressMeter, type SyncProgress } from './domain/sync-progress';
import type {
  DirectoryChangeSignal,
  DirectoryIngest,
  DirectorySource,
  PullProgress,
  ReconcileReport,
} from '../directory/sources/directory-source.port';

export const WECOM_SOURCE = 'wecom';

export type SyncLog = {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
};

export type RefOutcome = { ref: DirectoryObjectRef; changed?: boolean; error?: string };

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

const refKey = (ref: DirectoryObjectRef): string => {
  switch (ref.kind) {
    case 'department':
      return `department/${ref.departmentId}`;
    case 'employee':
      return `employee/${ref.employeeId}`;
    case 'customer':
      return `customer/${ref.externalUserId}`;
    case 'partner':
      return `partner/${ref.corpId}`;
    case 'partner_staff':
      return `partner_staff/${ref.corpId}/${ref.staffId}`;
  }
};

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
  private pulling: Promise<FullSyncRecord> | undefined;
  private readonly listeners = new Set<(progress: SyncProgress) => void>();
  private timer: NodeJS.Timeout | undefined;
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
    const correlationId = randomUUID();
    this.lastCallbackAt = signal.receivedAt;
    for (const ref of signal.refs) {
      const key = `${signal.tenantId} ${refKey(ref)}`;
      if (this.queued.has(key)) continue;
      this.queued.add(key);
      this.queue.push({ tenantId: signal.tenantId, ref, correlationId });
    }
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
    return this.draining;
  }

  /** Resolves when nothing is queued. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
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
    this.pulling ??= this.run(tenantId).finally(() => (this.pulling = undefined));
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
    try {
      const pulled = await this.source.pullAll(tenantId, progress);
      const report = await this.ingest.reconcile(tenantId, pulled, {
        source: WECOM_SOURCE,
        correlationId: randomUUID(),
        onProgress: progress,
      });
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
          failures: report.failures.length,
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

  /** Full pulls every `intervalSeconds` (0: none); failures are logged, the next tick tries again. */
  schedule(tenantId: string, intervalSeconds: number): void {
    this.stop();
    if (intervalSeconds <= 0) return;
    this.timer = setInterval(() => {
      this.fullSync(tenantId).catch((error: unknown) =>
        this.log.warn(
          { event: 'wecom.full_sync_failed', tenantId, error: (error as Error).message },
          'WeCom full pull failed',
        ),
      );
    }, intervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
