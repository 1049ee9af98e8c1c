import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { DirectoryError } from '../../directory/domain/directory.errors';
import type { ChannelRow, DesiredState } from '../desired/desired-state';
import { rows, type DownstreamTables } from '../downstream.tables';
import { classifyDrift, repairsFor, resyncCounts, type ResyncCounts } from '../drift/domain/drift';
import { DownstreamUnavailableError } from '../port/downstream-directory.port';
import type { ChannelApplier } from '../queue/channel-applier';
import type { ChannelQueue } from '../queue/channel-queue';
import type { DownstreamChange } from '../queue/change';
import { serviceLogger } from '../../service-logger';

export type ResyncProgress = {
  resyncId: string;
  phase: 'planning' | 'applying' | 'done';
  done: number;
  total: number;
  ratePerSecond: number;
  etaSeconds: number;
};
export type ResyncReport = ResyncCounts & { resyncId: string; failed: number; seconds: number };

type Run = {
  resync_id: string;
  state: 'planning' | 'applying' | 'done';
  started_at: Date;
  counts: ResyncCounts | null;
  report: ResyncReport | null;
};

const POLL_MS = 250;
const LOG_EVERY_MS = 2_000;

const all = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

/**
 * A forced resync: the channel's whole desired state queued once (plus the removal of extra groups and
 * the disabling of extra active accounts), tagged with the resync's id, in order behind what is already
 * queued; then progress until every one of its changes is applied or failed, and the report (what the
 * comparison at its start found different). Durable: the run and its changes are rows, so a caller
 * joining after a crash (same idempotency key or resync id) continues it; planning twice queues nothing
 * twice (one change per key and resync).
 */
export class ForceResync {
  private readonly log = serviceLogger('DownstreamResync');

  constructor(
    private readonly db: DataSource,
    private readonly t: DownstreamTables,
    private readonly desired: DesiredState,
    private readonly queue: ChannelQueue,
    private readonly applier: ChannelApplier,
  ) {}

  /** The run this call continues (key, id, or one still running on the channel) or a new one. */
  async begin(channel: ChannelRow, requestKey: string, resyncId: string): Promise<Run> {
    if (resyncId) {
      const [run] = await rows<Run>(
        this.db,
        `SELECT * FROM ${this.t.resyncs} WHERE resync_id = $1::uuid AND tenant_id = $2 AND channel_id = $3`,
        [resyncId, channel.tenantId, channel.channelId],
      ).catch(() => []);
      if (!run)
        throw new DirectoryError(
          'DIRECTORY.NOT_FOUND',
          `resync ${resyncId} does not exist on this channel`,
          'resyncId',
        );
      return run;
    }
    const [known] = await rows<Run>(
      this.db,
      requestKey
        ? `SELECT * FROM ${this.t.resyncs} WHERE tenant_id = $1 AND channel_id = $2 AND request_key = $3`
        : `SELECT * FROM ${this.t.resyncs} WHERE tenant_id = $1 AND channel_id = $2 AND state <> 'done' ORDER BY started_at LIMIT 1`,
      requestKey ? [channel.tenantId, channel.channelId, requestKey] : [channel.tenantId, channel.channelId],
    );
    if (known) return known;
    await this.db.query(
      `INSERT INTO ${this.t.resyncs} (resync_id, tenant_id, channel_id, request_key, state, started_at)
       VALUES ($1, $2, $3, $4, 'planning', now()) ON CONFLICT DO NOTHING`,
      [randomUUID(), channel.tenantId, channel.channelId, requestKey || null],
    );
    return this.begin(channel, requestKey, '');
  }

  /** Streams the run's progress (and logs it) until it is done, then resolves to its report. */
  async run(channel: ChannelRow, run: Run, progress: (p: ResyncProgress) => void): Promise<ResyncReport> {
    if (run.state === 'done' && run.report) return run.report;
    if (run.state === 'planning') {
      progress({
        resyncId: run.resync_id,
        phase: 'planning',
        done: 0,
        total: 0,
        ratePerSecond: 0,
        etaSeconds: 0,
      });
      run = await this.plan(channel, run);
    }
    const joinedAt = Date.now();
    let doneAtJoin: number | undefined;
    let lastLog = 0;
    for (;;) {
      const [c] = await rows<{ total: number; done: number; failed: number }>(
        this.db,
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE state <> 'pending')::int AS done,
                count(*) FILTER (WHERE state = 'failed')::int AS failed
           FROM ${this.t.outbox} WHERE resync_id = $1`,
        [run.resync_id],
      );
      const { total, done, failed } = c!;
      doneAtJoin ??= done;
      const seconds = (Date.now() - joinedAt) / 1000;
      const rate = seconds > 0 ? (done - doneAtJoin) / seconds : 0;
      const p: ResyncProgress = {
        resyncId: run.resync_id,
        phase: done >= total ? 'done' : 'applying',
        done,
        total,
        ratePerSecond: rate,
        etaSeconds: rate > 0 ? (total - done) / rate : 0,
      };
      progress(p);
      if (Date.now() - lastLog >= LOG_EVERY_MS || done >= total) {
        lastLog = Date.now();
        this.log.log(
          `resync ${run.resync_id} of ${channel.tenantId}/${channel.channelId}: ${done}/${total} (${rate.toFixed(1)}/s, eta ${p.etaSeconds.toFixed(0)} s)`,
        );
      }
      if (done >= total) {
        const report: ResyncReport = {
          ...(run.counts ?? resyncCounts([], total)),
          resyncId: run.resync_id,
          failed,
          seconds: (Date.now() - new Date(run.started_at).getTime()) / 1000,
        };
        await this.db.query(
          `UPDATE ${this.t.resyncs} SET state = 'done', finished_at = now(), report = $2::jsonb
            WHERE resync_id = $1 AND state <> 'done'`,
          [run.resync_id, JSON.stringify(report)],
        );
        const [final] = await rows<Run>(this.db, `SELECT * FROM ${this.t.resyncs} WHERE resync_id = $1`, [
          run.resync_id,
        ]);
        return final!.report ?? report;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** Reads the desired state and the downstream, queues every change of the resync, moves it to applying. */
  private async plan(channel: ChannelRow, run: Run): Promise<Run> {
    const port = this.applier.portFor(channel);
    if (!port)
      throw new DirectoryError(
        'DIRECTORY.FAILED_PRECONDITION',
        `connector "${channel.connector}" is not offered by this sync-service`,
        'connector',
      );
    let changes: DownstreamChange[];
    let counts: ResyncCounts;
    try {
      if (channel.kind === 'employee_accounts') {
        const accounts = await this.desired.accounts(this.db, channel);
        const found = classifyDrift({
          desiredAccounts: accounts,
          actualAccounts: await all(port.listAccounts()),
        });
        const extra = repairsFor(
          found.items.filter((i) => i.kind === 'extra_account'),
          {},
        );
        changes = [...accounts.map((account) => ({ op: 'upsertAccount' as const, account })), ...extra];
        counts = resyncCounts(found.items, changes.length);
      } else {
        const groups = await this.desired.groupsOf(this.db, channel);
        const found = classifyDrift({ desiredGroups: groups, actualGroups: await all(port.listGroups()) });
        const extra = repairsFor(
          found.items.filter((i) => i.kind === 'extra_group'),
          {},
        );
        changes = [...groups.map((group) => ({ op: 'upsertGroup' as const, group })), ...extra];
        counts = resyncCounts(found.items, changes.length);
      }
    } catch (error) {
      if (error instanceof DownstreamUnavailableError)
        throw new DirectoryError(
          'DIRECTORY.UNAVAILABLE',
          `the downstream cannot be listed: ${error.message}`,
        );
      throw error;
    }
    await this.db.transaction(async (tx) => {
      await this.queue.queueChanges(tx, channel, changes, { resyncId: run.resync_id });
      await tx.query(
        `UPDATE ${this.t.resyncs} SET state = 'applying', counts = $2::jsonb,
           total = (SELECT count(*) FROM ${this.t.outbox} WHERE resync_id = $1)
         WHERE resync_id = $1 AND state = 'planning'`,
        [run.resync_id, JSON.stringify(counts)],
      );
    });
    const [next] = await rows<Run>(this.db, `SELECT * FROM ${this.t.resyncs} WHERE resync_id = $1`, [
      run.resync_id,
    ]);
    return next!;
  }
}
