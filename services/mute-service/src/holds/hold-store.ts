import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { Outbox } from '../timers/outbox';
import { createTables, inTransaction, table, type Sql } from '../timers/sql';
import { planRelease, type HeldItem } from './domain/digest';
import { MUTE_DELIVERIES_TOPIC, type MessagesReleasedV1 } from './flow-topics';

export type HoldInput = {
  tenantId: string;
  messageId: string;
  recipientId: string;
  /** Epoch ms: the decision's releaseAt. */
  releaseAt: number;
  sentAt: number;
  /** The message as decided (sender, urgency, …): what the digest delivers. */
  message: Record<string, unknown>;
  /** Why it was held (the decision's winner), kept with it for the digest. */
  reason: string;
  throttleKeys: readonly string[];
};

export type Digest = {
  digestId: string;
  tenantId: string;
  recipientId: string;
  /** 1, 2, 3 … per recipient: the order digests were released in. */
  digestNo: number;
  releasedAt: number;
  trigger: string;
  messageIds: string[];
};

/**
 * Where a digest goes, inside the release transaction (before COMMIT): mute-service appends each message's
 * release to its stream (EventStoreDigestSink); the default writes the digest to the outbox. Must be
 * idempotent per message: after a crash the same digest (same id) is delivered again from its first message.
 */
export interface DigestSink {
  deliver(tx: PoolClient, digest: Digest, data: MessagesReleasedV1): Promise<void>;
}

export class OutboxDigestSink implements DigestSink {
  constructor(private readonly outbox: Outbox) {}

  async deliver(tx: PoolClient, digest: Digest, data: MessagesReleasedV1): Promise<void> {
    await this.outbox.add(tx, {
      topic: MUTE_DELIVERIES_TOPIC,
      key: `${digest.tenantId}/${digest.recipientId}`,
      eventId: digest.digestId,
      type: 'MessagesReleased',
      data,
      tenantId: digest.tenantId,
      actorId: 'mute-service',
    });
  }
}

/** A digest's id follows from its place (tenant, recipient, number): a release retried after a crash, which
 * gets the same number, delivers under the same id. */
export function digestIdOf(schema: string, tenantId: string, recipientId: string, digestNo: number): string {
  const h = createHash('sha256')
    .update(`${schema}\u0000${tenantId}\u0000${recipientId}\u0000${digestNo}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

export type ReleaseOptions = {
  /** Who asked (the sweeper, a gRPC call, a test). */
  trigger?: string;
  /** A caller's retry key: a retried release answers the digest the first attempt made (novu#12373). */
  releaseKey?: string;
  /** Runs after the claim, before COMMIT (tests put a failure or a kill here). */
  beforeCommit?: (tx: PoolClient) => Promise<void>;
};

/**
 * The durable hold store (D98). A held message is a row; releasing a recipient's due holds is ONE transaction:
 * the recipient's lock (a transaction-scoped advisory lock), its held rows read in hold order, the digest row,
 * the holds marked released with the digest's id, the delivery written to the outbox and the digest counted as
 * one alert per throttle key. Concurrent triggers wait for the lock and then find nothing due (no duplicate); a
 * crash or a failure before COMMIT leaves every row held (no loss); digests are numbered per recipient.
 */
export class HoldStore {
  private constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    readonly holds: string,
    readonly digests: string,
    private readonly sink: DigestSink,
  ) {}

  static async create(pool: Pool, schema: string, sink: DigestSink | Outbox): Promise<HoldStore> {
    const holds = table(schema, 'mute_holds');
    const digests = table(schema, 'mute_digests');
    await createTables(pool, schema, 'mute-holds', [
      `CREATE TABLE IF NOT EXISTS ${holds} (
        seq bigserial PRIMARY KEY, tenant_id text NOT NULL, message_id text NOT NULL, recipient_id text NOT NULL,
        release_at timestamptz NOT NULL, sent_at timestamptz NOT NULL, message jsonb NOT NULL, reason text NOT NULL,
        throttle_keys text[] NOT NULL, state text NOT NULL DEFAULT 'held', digest_id uuid,
        held_at timestamptz NOT NULL DEFAULT now(), UNIQUE (tenant_id, message_id))`,
      `CREATE INDEX IF NOT EXISTS mute_holds_due ON ${holds} (release_at) WHERE state = 'held'`,
      `CREATE INDEX IF NOT EXISTS mute_holds_recipient ON ${holds} (tenant_id, recipient_id, seq) WHERE state = 'held'`,
      `CREATE TABLE IF NOT EXISTS ${digests} (
        digest_id uuid PRIMARY KEY, tenant_id text NOT NULL, recipient_id text NOT NULL, digest_no integer NOT NULL,
        released_at timestamptz NOT NULL, trigger text NOT NULL, release_key text, message_ids text[] NOT NULL,
        UNIQUE (tenant_id, recipient_id, digest_no))`,
      `CREATE UNIQUE INDEX IF NOT EXISTS mute_digests_release_key ON ${digests} (tenant_id, recipient_id, release_key)
         WHERE release_key IS NOT NULL`,
    ]);
    return new HoldStore(
      pool,
      schema,
      holds,
      digests,
      sink instanceof Outbox ? new OutboxDigestSink(sink) : sink,
    );
  }

  /** Holds a message (in the caller's transaction or on the pool). A retried hold of the same message is one. */
  async hold(q: Sql, h: HoldInput): Promise<{ seq: bigint; created: boolean }> {
    const { rows } = await q.query<{ seq: string; created: boolean }>(
      `WITH ins AS (
         INSERT INTO ${this.holds} (tenant_id, message_id, recipient_id, release_at, sent_at, message, reason, throttle_keys)
         VALUES ($1, $2, $3, to_timestamp($4 / 1000.0), to_timestamp($5 / 1000.0), $6, $7, $8)
         ON CONFLICT (tenant_id, message_id) DO NOTHING RETURNING seq)
       SELECT seq, true AS created FROM ins
       UNION ALL SELECT seq, false FROM ${this.holds} WHERE tenant_id = $1 AND message_id = $2
       LIMIT 1`,
      [
        h.tenantId,
        h.messageId,
        h.recipientId,
        h.releaseAt,
        h.sentAt,
        JSON.stringify(h.message),
        h.reason,
        h.throttleKeys,
      ],
    );
    return { seq: BigInt(rows[0]!.seq), created: rows[0]!.created };
  }

  /** Releases the recipient's holds due at `now` as one digest; null when none is due. */
  async release(
    tenantId: string,
    recipientId: string,
    now: number,
    options: ReleaseOptions = {},
  ): Promise<Digest | null> {
    return inTransaction(this.pool, async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `${this.schema}/mute-digest/${tenantId}/${recipientId}`,
      ]);
      if (options.releaseKey) {
        const earlier = await this.byKey(tx, tenantId, recipientId, options.releaseKey);
        if (earlier) return earlier;
      }
      const { rows } = await tx.query<{
        seq: string;
        message_id: string;
        release_ms: string;
        throttle_keys: string[];
        sent_ms: string;
        message: Record<string, unknown>;
        reason: string;
      }>(
        `SELECT seq, message_id, (extract(epoch FROM release_at) * 1000)::bigint AS release_ms, throttle_keys,
                (extract(epoch FROM sent_at) * 1000)::bigint AS sent_ms, message, reason
           FROM ${this.holds} WHERE tenant_id = $1 AND recipient_id = $2 AND state = 'held'
            AND release_at <= to_timestamp($3 / 1000.0)
          ORDER BY seq`,
        [tenantId, recipientId, now],
      );
      const bySeq = new Map(rows.map((r) => [r.seq, r]));
      const plan = planRelease(
        rows.map((r): HeldItem => ({
          seq: BigInt(r.seq),
          messageId: r.message_id,
          recipientId,
          releaseAt: Number(r.release_ms),
          throttleKeys: r.throttle_keys,
        })),
        now,
      );
      if (plan.release.length === 0) return null;
      const { rows: last } = await tx.query<{ n: number }>(
        `SELECT coalesce(max(digest_no), 0)::int AS n FROM ${this.digests} WHERE tenant_id = $1 AND recipient_id = $2`,
        [tenantId, recipientId],
      );
      const digestNo = last[0]!.n + 1;
      const digest: Digest = {
        digestId: digestIdOf(this.schema, tenantId, recipientId, digestNo),
        tenantId,
        recipientId,
        digestNo,
        releasedAt: now,
        trigger: options.trigger ?? 'sweep',
        messageIds: plan.release.map((h) => h.messageId),
      };
      await tx.query(
        `INSERT INTO ${this.digests} (digest_id, tenant_id, recipient_id, digest_no, released_at, trigger, release_key, message_ids)
         VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0), $6, $7, $8)`,
        [
          digest.digestId,
          tenantId,
          recipientId,
          digest.digestNo,
          now,
          digest.trigger,
          options.releaseKey ?? null,
          digest.messageIds,
        ],
      );
      const updated = await tx.query(
        `UPDATE ${this.holds} SET state = 'released', digest_id = $1 WHERE seq = ANY($2::bigint[]) AND state = 'held'`,
        [digest.digestId, plan.release.map((h) => String(h.seq))],
      );
      // The lock makes this impossible; if it ever is not, nothing commits rather than a digest with a hole.
      if (updated.rowCount !== plan.release.length)
        throw new Error('a held message changed under the digest lock');
      const data: MessagesReleasedV1 = {
        tenantId,
        recipientId,
        digestId: digest.digestId,
        digestNo: digest.digestNo,
        releasedAt: new Date(now).toISOString(),
        messages: plan.release.map((h) => {
          const r = bySeq.get(String(h.seq))!;
          return {
            messageId: h.messageId,
            heldSeq: String(h.seq),
            sentAt: new Date(Number(r.sent_ms)).toISOString(),
            reason: r.reason,
            message: r.message,
          };
        }),
      };
      await this.sink.deliver(tx, digest, data);
      await options.beforeCommit?.(tx);
      return digest;
    });
  }

  /** Releases every recipient with holds due at `now` (the sweeper; several may run at once). */
  async releaseDue(now: number, limit = 500): Promise<Digest[]> {
    const { rows } = await this.pool.query<{ tenant_id: string; recipient_id: string }>(
      `SELECT DISTINCT tenant_id, recipient_id FROM ${this.holds}
        WHERE state = 'held' AND release_at <= to_timestamp($1 / 1000.0) LIMIT $2`,
      [now, limit],
    );
    const out: Digest[] = [];
    for (const r of rows) {
      const d = await this.release(r.tenant_id, r.recipient_id, now, { trigger: 'sweep' });
      if (d) out.push(d);
    }
    return out;
  }

  private async byKey(
    tx: Sql,
    tenantId: string,
    recipientId: string,
    key: string,
  ): Promise<Digest | undefined> {
    const { rows } = await tx.query<DigestRow>(
      `SELECT ${DIGEST_COLUMNS} FROM ${this.digests} WHERE tenant_id = $1 AND recipient_id = $2 AND release_key = $3`,
      [tenantId, recipientId, key],
    );
    return rows[0] && toDigest(rows[0]);
  }

  async listDigests(tenantId: string, recipientId: string): Promise<Digest[]> {
    const { rows } = await this.pool.query<DigestRow>(
      `SELECT ${DIGEST_COLUMNS} FROM ${this.digests} WHERE tenant_id = $1 AND recipient_id = $2 ORDER BY digest_no`,
      [tenantId, recipientId],
    );
    return rows.map(toDigest);
  }

  async held(
    tenantId: string,
    recipientId?: string,
  ): Promise<{ messageId: string; recipientId: string; releaseAt: number }[]> {
    const { rows } = await this.pool.query<{ message_id: string; recipient_id: string; ms: string }>(
      `SELECT message_id, recipient_id, (extract(epoch FROM release_at) * 1000)::bigint AS ms FROM ${this.holds}
        WHERE tenant_id = $1 AND state = 'held' AND ($2::text IS NULL OR recipient_id = $2) ORDER BY seq`,
      [tenantId, recipientId ?? null],
    );
    return rows.map((r) => ({
      messageId: r.message_id,
      recipientId: r.recipient_id,
      releaseAt: Number(r.ms),
    }));
  }
}

type DigestRow = {
  digest_id: string;
  tenant_id: string;
  recipient_id: string;
  digest_no: number;
  released_ms: string;
  trigger: string;
  message_ids: string[];
};
const DIGEST_COLUMNS = `digest_id, tenant_id, recipient_id, digest_no,
  (extract(epoch FROM released_at) * 1000)::bigint AS released_ms, trigger, message_ids`;
const toDigest = (r: DigestRow): Digest => ({
  digestId: r.digest_id,
  tenantId: r.tenant_id,
  recipientId: r.recipient_id,
  digestNo: r.digest_no,
  releasedAt: Number(r.released_ms),
  trigger: r.trigger,
  messageIds: r.message_ids,
});
