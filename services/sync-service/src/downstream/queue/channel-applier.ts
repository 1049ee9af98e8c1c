import type { ComponentHandle, ComponentLag } from '@tagguard/telemetry';
import type { DataSource } from 'typeorm';
import type { ChannelRow } from '../desired/desired-state';
import { rows, type DownstreamTables } from '../downstream.tables';
import { DownstreamUnavailableError, type DownstreamDirectory } from '../port/downstream-directory.port';
import { applyTo, type DownstreamChange } from './change';
import { toChannelRow } from './directory-planner';
import { serviceLogger } from '../../service-logger';

export const DOWNSTREAM_APPLIER = 'sync-service.downstream-applier';

/**
 * Builds a channel's port from its configuration; the service is given the connectors it offers.
 * `onlyTenant`: the connector reaches one tenant's system (the WeCom corp of WECOM_TENANT_ID), so it is
 * offered to that tenant alone.
 */
export type DownstreamConnectorFactory = ((channel: ChannelRow) => DownstreamDirectory) & {
  readonly onlyTenant?: string;
};
export type DownstreamConnectors = Readonly<Record<string, DownstreamConnectorFactory>>;

export const MAX_ATTEMPTS = 5;
const BATCH = 500;
export const CONCURRENCY = 16;
const TICK_MS = 100;
const BACKOFF = { firstMs: 200, maxMs: 10_000 };
/**
 * Applied changes are marked every FLUSH_ROWS or FLUSH_MS, and nothing is applied while they are: a crash
 * applies again at most FLUSH_ROWS + 2 × CONCURRENCY changes (those not marked yet and those in flight).
 */
export const FLUSH_ROWS = 32;
const FLUSH_MS = 100;

type Row = { seq: string; key: string; change: DownstreamChange; attempts: number };

/**
 * Applies each enabled channel's queue in order: a batch of the oldest changes, its keys applied
 * concurrently (accounts before groups, so members exist), each key's changes one after the other. An
 * unreachable downstream stops the channel's batch where it is and retries with backoff (nothing is lost,
 * nothing skipped); a refused change is retried MAX_ATTEMPTS times, then kept as failed with its error and
 * its key moves on. A change is marked applied after the downstream took it (in small groups, FLUSH_ROWS):
 * a crash in between applies those again, which the port's idempotent writes make harmless.
 */
export class ChannelApplier {
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly ports = new Map<string, { config: string; port: DownstreamDirectory }>();
  private readonly backoff = new Map<string, { until: number; ms: number }>();
  private readonly draining = new Map<string, Promise<void>>();
  private readonly paused = new Map<string, number>();
  private readonly log = serviceLogger('DownstreamApplier');

  constructor(
    private readonly db: DataSource,
    private readonly t: DownstreamTables,
    private readonly connectors: DownstreamConnectors,
    private readonly component?: ComponentHandle,
    private readonly clock: () => number = Date.now,
  ) {}

  start(): void {
    this.running = true;
    this.component?.set('running');
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all(this.draining.values());
    for (const { port } of this.ports.values()) await port.close().catch(() => undefined);
    this.ports.clear();
    this.component?.set('stopped');
  }

  /** Waiting changes of every channel and the age of the oldest. */
  async lag(): Promise<ComponentLag> {
    const [r] = await rows<{ n: number; oldest: Date | null }>(
      this.db,
      `SELECT count(*)::int AS n, min(created_at) AS oldest FROM ${this.t.outbox} o
        WHERE state = 'pending' AND EXISTS (SELECT 1 FROM ${this.t.channels} c
          WHERE c.tenant_id = o.tenant_id AND c.channel_id = o.channel_id AND c.enabled)`,
    );
    return {
      events: r!.n,
      seconds: r!.oldest ? Math.max(0, (this.clock() - r!.oldest.getTime()) / 1000) : 0,
    };
  }

  /** The channel's port (built once per configuration), or undefined when its connector is not offered. */
  portFor(channel: ChannelRow): DownstreamDirectory | undefined {
    const id = `${channel.tenantId}/${channel.channelId}`;
    const config = JSON.stringify([channel.connector, channel.settings]);
    const known = this.ports.get(id);
    if (known?.config === config) return known.port;
    const factory = this.connectors[channel.connector];
    if (!factory) return undefined;
    if (known) void known.port.close().catch(() => undefined);
    const port = factory(channel);
    this.ports.set(id, { config, port });
    return port;
  }

  /** The channel's downstream was unreachable at its last attempt (its changes wait, with backoff). */
  isRetrying(channel: { tenantId: string; channelId: string }): boolean {
    return this.backoff.has(`${channel.tenantId}/${channel.channelId}`);
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.tick()
        .catch((error: unknown) => this.log.warn(`downstream applier tick failed: ${String(error)}`))
        .finally(() => this.schedule());
    }, TICK_MS);
  }

  async tick(): Promise<void> {
    const due = (
      await rows<Parameters<typeof toChannelRow>[0]>(
        this.db,
        `SELECT c.* FROM ${this.t.channels} c WHERE c.enabled AND EXISTS (SELECT 1 FROM ${this.t.outbox} o
          WHERE o.tenant_id = c.tenant_id AND o.channel_id = c.channel_id AND o.state = 'pending')`,
      )
    ).map(toChannelRow);
    for (const channel of due) {
      const id = `${channel.tenantId}/${channel.channelId}`;
      const wait = this.backoff.get(id);
      if (this.draining.has(id) || (wait && wait.until > this.clock())) continue;
      if ((this.paused.get(id) ?? 0) > this.clock()) continue;
      const run = this.drain(channel)
        .catch((error: unknown) => this.log.warn(`channel ${id}: ${String(error)}`))
        .finally(() => this.draining.delete(id));
      this.draining.set(id, run);
    }
  }

  /** Applies batches of the channel until its queue is empty, the downstream is unreachable, or stop. */
  private async drain(channel: ChannelRow): Promise<void> {
    const id = `${channel.tenantId}/${channel.channelId}`;
    const port = this.portFor(channel);
    if (!port) {
      await this.recordError(channel, `connector "${channel.connector}" is not offered by this sync-service`);
      this.backoff.set(id, { until: this.clock() + BACKOFF.maxMs, ms: BACKOFF.maxMs });
      return;
    }
    while (this.running) {
      const batch = await rows<Row>(
        this.db,
        `SELECT seq, key, change, attempts FROM ${this.t.outbox}
          WHERE tenant_id = $1 AND channel_id = $2 AND state = 'pending' ORDER BY seq LIMIT ${BATCH}`,
        [channel.tenantId, channel.channelId],
      );
      if (batch.length === 0) return;
      const outcome = await this.applyBatch(port, batch);
      await this.record(channel, outcome);
      if (outcome.unavailable) {
        const ms = Math.min(BACKOFF.maxMs, (this.backoff.get(id)?.ms ?? BACKOFF.firstMs / 2) * 2);
        this.backoff.set(id, { until: this.clock() + ms, ms });
        this.log.warn(
          `channel ${id}: ${port.kind} unreachable, ${batch.length - outcome.applied.length} changes wait (retry in ${ms} ms): ${outcome.unavailable}`,
        );
        return;
      }
      this.backoff.delete(id);
      if (outcome.retry.length > 0) {
        // A refused change is tried again a little later (e.g. a group waiting for a member's account).
        const attempts = Math.max(...outcome.retry.map((r) => r.row.attempts + 1));
        this.paused.set(id, this.clock() + 250 * attempts);
        return;
      }
    }
  }

  private async applyBatch(port: DownstreamDirectory, batch: Row[]) {
    const byKey = new Map<string, Row[]>();
    for (const r of batch) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    const applied: Row[] = [];
    let marked = 0;
    let lastFlush = this.clock();
    let flushing: Promise<void> = Promise.resolve();
    const flush = (): Promise<void> => {
      const rows = applied.slice(marked);
      marked = applied.length;
      lastFlush = this.clock();
      if (rows.length === 0) return flushing;
      flushing = flushing.then(() =>
        this.db
          .query(
            `UPDATE ${this.t.outbox} SET state = 'applied', applied_at = now() WHERE seq = ANY($1::bigint[])`,
            [rows.map((r) => r.seq)],
          )
          .then(() => undefined),
      );
      return flushing;
    };
    const failed: { row: Row; error: string }[] = [];
    const retry: { row: Row; error: string }[] = [];
    let unavailable: string | undefined;
    const runKey = async (changes: Row[]): Promise<void> => {
      for (const row of changes) {
        // While applied changes are being marked, none is applied (bounds what a crash applies again).
        await flushing;
        if (unavailable || !this.running) return;
        try {
          await applyTo(port, row.change);
          applied.push(row);
          if (applied.length - marked >= FLUSH_ROWS || this.clock() - lastFlush >= FLUSH_MS) await flush();
        } catch (error) {
          if (error instanceof DownstreamUnavailableError) {
            unavailable = error.message;
            return;
          }
          const message = error instanceof Error ? error.message : String(error);
          if (row.attempts + 1 >= MAX_ATTEMPTS) failed.push({ row, error: message });
          else {
            // Later changes of this key wait for this one (per-key order).
            retry.push({ row, error: message });
            return;
          }
        }
      }
    };
    const keys = [...byKey.values()];
    // Accounts first: a group's members must exist downstream.
    for (const part of [
      keys.filter((k) => k[0]!.key.startsWith('account/')),
      keys.filter((k) => !k[0]!.key.startsWith('account/')),
    ]) {
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, part.length) }, async () => {
          while (next < part.length && !unavailable) await runKey(part[next++]!);
        }),
      );
      if (unavailable) break;
    }
    await flush();
    return { applied, failed, retry, unavailable };
  }

  private async record(
    channel: ChannelRow,
    o: {
      applied: Row[];
      failed: { row: Row; error: string }[];
      retry: { row: Row; error: string }[];
      unavailable?: string;
    },
  ): Promise<void> {
    const lastApplied = o.applied.reduce<Row | undefined>(
      (a, r) => (!a || BigInt(r.seq) > BigInt(a.seq) ? r : a),
      undefined,
    );
    const error = o.unavailable ?? o.failed[0]?.error ?? o.retry[0]?.error;
    await this.db.transaction(async (tx) => {
      for (const [list, state] of [
        [o.failed, 'failed'],
        [o.retry, 'pending'],
      ] as const)
        for (const { row, error: e } of list)
          await tx.query(
            `UPDATE ${this.t.outbox} SET state = $2, attempts = attempts + 1, last_error = $3 WHERE seq = $1`,
            [row.seq, state, e],
          );
      await tx.query(
        `INSERT INTO ${this.t.status} AS s (tenant_id, channel_id, last_applied_key, last_applied_at, applied_total,
           failed_total, last_error, last_error_at)
         VALUES ($1, $2, $3, CASE WHEN $3::text IS NULL THEN NULL ELSE now() END, $4, $5, $6,
           CASE WHEN $6::text IS NULL THEN NULL ELSE now() END)
         ON CONFLICT (tenant_id, channel_id) DO UPDATE SET
           last_applied_key = COALESCE(EXCLUDED.last_applied_key, s.last_applied_key),
           last_applied_at = COALESCE(EXCLUDED.last_applied_at, s.last_applied_at),
           applied_total = s.applied_total + EXCLUDED.applied_total,
           failed_total = s.failed_total + EXCLUDED.failed_total,
           last_error = COALESCE(EXCLUDED.last_error, s.last_error),
           last_error_at = COALESCE(EXCLUDED.last_error_at, s.last_error_at)`,
        [
          channel.tenantId,
          channel.channelId,
          lastApplied?.key ?? null,
          o.applied.length,
          o.failed.length,
          error ?? null,
        ],
      );
    });
  }

  private async recordError(channel: ChannelRow, error: string): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.t.status} AS s (tenant_id, channel_id, last_error, last_error_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (tenant_id, channel_id) DO UPDATE SET last_error = EXCLUDED.last_error, last_error_at = now()`,
      [channel.tenantId, channel.channelId, error],
    );
  }
}
