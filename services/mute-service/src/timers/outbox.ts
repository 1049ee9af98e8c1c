import { randomUUID } from 'node:crypto';
import type { EventMetadata } from '@tagguard/event-store';
import type { IntegrationMessage, MessagePublisher } from '@tagguard/messaging';
import type { Pool } from 'pg';
import { createTables, inTransaction, table, type Sql } from './sql';

export type OutboxMessage = {
  topic: string;
  key: string;
  /** Stable: a consumer de-duplicates a re-published message by it. */
  eventId: string;
  type: string;
  data: object;
  tenantId: string;
  actorId: string;
  correlationId?: string;
};

/**
 * The flow features' outbox (D98): a release, an unmute report or an automation's mute is written here in the
 * transaction that makes it true, and published afterwards in outbox order, at least once, under one stable
 * event id. Nothing is published that did not commit; nothing that committed is left unpublished.
 */
export class Outbox {
  private constructor(
    private readonly pool: Pool,
    readonly table: string,
    private readonly schema: string,
  ) {}

  static async create(pool: Pool, schema: string): Promise<Outbox> {
    const t = table(schema, 'mute_flow_outbox');
    await createTables(pool, schema, 'mute-flow-outbox', [
      `CREATE TABLE IF NOT EXISTS ${t} (
        seq bigserial PRIMARY KEY, topic text NOT NULL, msg_key text NOT NULL, event_id uuid NOT NULL UNIQUE,
        type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz)`,
      `CREATE INDEX IF NOT EXISTS mute_flow_outbox_unpublished ON ${t} (seq) WHERE published_at IS NULL`,
    ]);
    return new Outbox(pool, t, schema);
  }

  /** In the caller's transaction. A second write of the same event id is ignored (a retried effect). */
  async add(tx: Sql, m: OutboxMessage, now = new Date()): Promise<void> {
    const metadata: EventMetadata = {
      tenantId: m.tenantId,
      actorId: m.actorId,
      correlationId: m.correlationId ?? randomUUID(),
      occurredAt: now.toISOString(),
    };
    await tx.query(
      `INSERT INTO ${this.table} (topic, msg_key, event_id, type, data, metadata)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING`,
      [m.topic, m.key, m.eventId, m.type, JSON.stringify(m.data), JSON.stringify(metadata)],
    );
  }

  /**
   * Publishes the next batch in outbox order and marks it; returns how many. One publisher at a time across
   * instances (a transaction-scoped advisory lock), so the topic sees the outbox's order.
   */
  async publishBatch(publisher: MessagePublisher, limit = 200): Promise<number> {
    return inTransaction(this.pool, async (tx) => {
      const { rows: lock } = await tx.query<{ ok: boolean }>(
        `SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok`,
        [`${this.schema}.mute-flow-outbox-publisher`],
      );
      if (!lock[0]?.ok) return 0;
      const { rows } = await tx.query<{
        seq: string;
        topic: string;
        msg_key: string;
        event_id: string;
        type: string;
        data: object;
        metadata: EventMetadata;
      }>(
        `SELECT seq, topic, msg_key, event_id, type, data, metadata FROM ${this.table}
          WHERE published_at IS NULL ORDER BY seq LIMIT $1`,
        [limit],
      );
      if (rows.length === 0) return 0;
      const messages: IntegrationMessage[] = rows.map((r) => ({
        topic: r.topic,
        key: r.msg_key,
        eventId: r.event_id,
        type: r.type,
        schemaVersion: 1,
        data: r.data,
        metadata: r.metadata,
      }));
      await publisher.publish(messages);
      await tx.query(`UPDATE ${this.table} SET published_at = now() WHERE seq = ANY($1::bigint[])`, [
        rows.map((r) => r.seq),
      ]);
      return rows.length;
    });
  }

  async unpublished(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${this.table} WHERE published_at IS NULL`,
    );
    return rows[0]!.n;
  }
}
