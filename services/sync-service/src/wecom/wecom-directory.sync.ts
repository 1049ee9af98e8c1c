import { randomUUID } from 'node:crypto';
import type { DirectoryObjectRef } from '../directory/domain/directory.model';
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

export type RefOutcome = { ref: DirectoryObjectRef; changed?: boolean; error?: string };

const refKey = directoryRefKey;

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
  private pulling: Promise<ReconcileReport> | undefined;
  /** Refs signalled since the running pull started: newer than its snapshot (D-G2). */
  private signalledDuringPull: { tenantId: string; refs: Map<string, DirectoryObjectRef> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  readonly outcomes: RefOutcome[] = [];

  constructor(
    private readonly source: DirectorySource,
    private readonly ingest: DirectoryIngest,
    private readonly log: SyncLog,
    private readonly maxOutcomes = 1000,
  ) {}

  /** Queues the signal's refs; resolves when they (and everything queued before them) were applied. */
  signal(signal: DirectoryChangeSignal): Promise<void> {
    const correlationId = randomUUID();
    const pull = this.signalledDuringPull;
    if (pull?.tenantId === signal.tenantId) for (const ref of signal.refs) pull.refs.set(refKey(ref), ref);
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
        this.log.warn(
          { event: 'wecom.ref_failed', tenantId, ref: refKey(ref), error: outcome.error },
          'WeCom change not applied',
        );
      }
      this.outcomes.push(outcome);
      if (this.outcomes.length > this.maxOutcomes) this.outcomes.shift();
    }
  }

  /** pullAll → reconcile; a pull already running is joined, not started twice. */
  fullSync(tenantId: string, onProgress?: (progress: PullProgress) => void): Promise<ReconcileReport> {
    this.pulling ??= (async () => {
      const started = Date.now();
      const signalled = { tenantId, refs: new Map<string, DirectoryObjectRef>() };
      this.signalledDuringPull = signalled;
      let report: ReconcileReport;
      let pulled: PullResult;
      try {
        pulled = await this.source.pullAll(tenantId, onProgress);
        // What was signalled during the pull is newer than the snapshot: the reconcile leaves it alone...
        report = await this.ingest.reconcile(
          tenantId,
          { ...pulled, superseded: [...signalled.refs.values()] },
          { source: WECOM_SOURCE, correlationId: randomUUID() },
        );
      } finally {
        this.signalledDuringPull = undefined;
      }
      // ...and all of it, including what arrived while the reconcile wrote, is re-read after it.
      if (signalled.refs.size > 0)
        await this.signal({ tenantId, refs: [...signalled.refs.values()], receivedAt: new Date() });
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
      return report;
    })().finally(() => (this.pulling = undefined));
    return this.pulling;
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
