import type { ComponentHandle } from '@tagguard/telemetry';
import type { DataSource } from 'typeorm';
import { DirectoryError } from '../../directory/domain/directory.errors';
import type { ChannelRow, DesiredState } from '../desired/desired-state';
import { rows, type DownstreamTables } from '../downstream.tables';
import {
  DownstreamUnavailableError,
  type DownstreamAccount,
  type DownstreamDirectory,
  type DownstreamGroup,
} from '../port/downstream-directory.port';
import type { ChannelApplier } from '../queue/channel-applier';
import type { ChannelQueue } from '../queue/channel-queue';
import { toChannelRow } from '../queue/directory-planner';
import { classifyDrift, repairsFor, type DriftInput, type DriftItem } from './domain/drift';
import { serviceLogger } from '../../service-logger';

export const DRIFT_TIMER = 'sync-service.downstream-drift';
const TICK_MS = 5_000;

export interface Detection {
  detectedAt: Date;
  items: DriftItem[];
  pendingSkipped: number;
  repairsQueued: number;
  /** The desired state compared (for a resync's plan). */
  desired: { accounts?: DownstreamAccount[]; groups?: DownstreamGroup[] };
}

const all = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

/**
 * Drift per channel: the downstream's listings against the desired state, classified (domain/drift.ts),
 * stored as the channel's last detection, repaired at once under the AUTO policy. Runs on demand and on a
 * timer (each channel at its drift_interval_seconds).
 */
export class DriftDetector {
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly log = serviceLogger('DownstreamDrift');

  constructor(
    private readonly db: DataSource,
    private readonly t: DownstreamTables,
    private readonly desired: DesiredState,
    private readonly queue: ChannelQueue,
    private readonly applier: ChannelApplier,
    private readonly component?: ComponentHandle,
  ) {}

  start(): void {
    this.running = true;
    this.component?.set('running');
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.component?.set('stopped');
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick().finally(() => this.schedule()), TICK_MS);
  }

  /** Every enabled channel whose interval has passed since its last detection. */
  async tick(): Promise<void> {
    const due = await rows<Parameters<typeof toChannelRow>[0]>(
      this.db,
      `SELECT c.* FROM ${this.t.channels} c LEFT JOIN ${this.t.status} s
          ON s.tenant_id = c.tenant_id AND s.channel_id = c.channel_id
        WHERE c.enabled AND (s.last_drift_at IS NULL
          OR s.last_drift_at < now() - make_interval(secs => (c.settings->>'driftIntervalSeconds')::int))`,
    ).catch((error: unknown) => {
      this.component?.set('retrying', error);
      return [];
    });
    for (const row of due) {
      const channel = toChannelRow(row);
      try {
        await this.detect(channel);
      } catch (error) {
        this.log.warn(`drift of ${channel.tenantId}/${channel.channelId} not detected: ${String(error)}`);
      }
    }
    if (this.running) this.component?.set('running');
  }

  /** Detects the channel's drift now; UNAVAILABLE when its downstream cannot be listed. */
  async detect(channel: ChannelRow): Promise<Detection> {
    const port = this.port(channel);
    const input: DriftInput = {};
    try {
      if (channel.kind === 'employee_accounts') {
        input.desiredAccounts = await this.desired.accounts(this.db, channel);
        input.actualAccounts = await all(port.listAccounts());
      } else {
        input.desiredGroups = await this.desired.groupsOf(this.db, channel);
        input.actualGroups = await all(port.listGroups());
      }
    } catch (error) {
      if (error instanceof DownstreamUnavailableError)
        throw new DirectoryError(
          'DIRECTORY.UNAVAILABLE',
          `the downstream cannot be listed: ${error.message}`,
        );
      throw error;
    }
    input.pending = await this.queue.pendingKeys(this.db, channel);
    const { items, pendingSkipped } = classifyDrift(input);
    const desired = { accounts: input.desiredAccounts, groups: input.desiredGroups };
    const detectedAt = new Date();
    let repairsQueued = 0;
    await this.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM ${this.t.drift} WHERE tenant_id = $1 AND channel_id = $2`, [
        channel.tenantId,
        channel.channelId,
      ]);
      for (let i = 0; i < items.length; i += 1_000) {
        const chunk = items.slice(i, i + 1_000);
        await tx.query(
          `INSERT INTO ${this.t.drift} (tenant_id, channel_id, n, kind, subject, member_id, expected, actual)
           SELECT $1, $2, n + $3, k, s, m, e, a FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
             WITH ORDINALITY AS x(k, s, m, e, a, n)`,
          [
            channel.tenantId,
            channel.channelId,
            i,
            chunk.map((x) => x.kind),
            chunk.map((x) => x.subject),
            chunk.map((x) => x.memberId),
            chunk.map((x) => x.expected),
            chunk.map((x) => x.actual),
          ],
        );
      }
      await tx.query(
        `INSERT INTO ${this.t.status} AS s (tenant_id, channel_id, last_drift_at, drift_items) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, channel_id) DO UPDATE SET last_drift_at = EXCLUDED.last_drift_at, drift_items = EXCLUDED.drift_items`,
        [channel.tenantId, channel.channelId, detectedAt, items.length],
      );
      if (channel.settings.driftRepair === 'auto' && items.length > 0)
        repairsQueued = await this.queue.queueChanges(tx, channel, repairsFor(items, desired));
    });
    this.log.log(
      `drift of ${channel.tenantId}/${channel.channelId}: ${items.length} items, ${pendingSkipped} pending skipped, ${repairsQueued} repairs queued`,
    );
    return { detectedAt, items, pendingSkipped, repairsQueued, desired };
  }

  /** Queues the repairs of the channel's last detection (recomputed against the desired state now). */
  async repair(channel: ChannelRow): Promise<number> {
    const items = await this.lastItems(channel);
    if (!items)
      throw new DirectoryError(
        'DIRECTORY.FAILED_PRECONDITION',
        'no drift was detected on this channel yet',
        'channelId',
      );
    const desired =
      channel.kind === 'employee_accounts'
        ? {
            accounts: await this.desired.accounts(this.db, channel, [
              ...new Set(items.map((i) => i.subject)),
            ]),
          }
        : {
            groups: await this.desired.groupsOf(this.db, channel, [...new Set(items.map((i) => i.subject))]),
          };
    return this.db.transaction((tx) => this.queue.queueChanges(tx, channel, repairsFor(items, desired)));
  }

  async lastItems(channel: ChannelRow, offset = 0, limit = 1_000_000): Promise<DriftItem[] | undefined> {
    const [status] = await rows<{ last_drift_at: Date | null }>(
      this.db,
      `SELECT last_drift_at FROM ${this.t.status} WHERE tenant_id = $1 AND channel_id = $2`,
      [channel.tenantId, channel.channelId],
    );
    if (!status?.last_drift_at) return undefined;
    const found = await rows<{
      kind: DriftItem['kind'];
      subject: string;
      member_id: string;
      expected: string;
      actual: string;
    }>(
      this.db,
      `SELECT kind, subject, member_id, expected, actual FROM ${this.t.drift}
        WHERE tenant_id = $1 AND channel_id = $2 ORDER BY n OFFSET $3 LIMIT $4`,
      [channel.tenantId, channel.channelId, offset, limit],
    );
    return found.map((r) => ({
      kind: r.kind,
      subject: r.subject,
      memberId: r.member_id,
      expected: r.expected,
      actual: r.actual,
    }));
  }

  private port(channel: ChannelRow): DownstreamDirectory {
    const port = this.applier.portFor(channel);
    if (!port)
      throw new DirectoryError(
        'DIRECTORY.FAILED_PRECONDITION',
        `connector "${channel.connector}" is not offered by this sync-service`,
        'connector',
      );
    return port;
  }
}
