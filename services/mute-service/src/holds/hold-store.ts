import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { Outbox } from '../timers/outbox';
import { createTables, inTransaction, table, type Sql } from '../timers/sql';
import { digestStream } from '../streams';
import type { MuteWriter } from '../write/mute-writer';
import { planRelease, type HeldItem } from './domain/digest';
import { digestStreamDecider, type DigestReleasedData } from './domain/digest-stream.decider';
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
 * The durable hold store (D98, D110). A held message is a row (fed from MessageDecided by the hold feed);
 * releasing a recipient's due holds runs under the recipient's lock (a transaction-scoped advisory lock): its
 * held rows read in hold order, the digest appended as DigestReleased to the recipient's digest stream (the
 * fact; numbered per recipient, the stream revision guarding the number), its messages delivered, the holds
 * marked released and the digest row written in one transaction. Concurrent triggers wait for the lock and
 * then find nothing due (no duplicate); a crash or a failure before COMMIT leaves the holds held, and the next
 * release finishes the recorded digest (same id, same messages) before anything else (no loss). The digests
 * and holds tables are projections of the store: the hold feed rebuilds them.
 */
export class HoldStore {
  private constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    readonly holds: string,
    readonly digests: string,
    private readonly sink: DigestSink,
    private readonly writer: MuteWriter,
  ) {}

  static async create(
    pool: Pool,
    schema: string,
    sink: DigestSink | Outbox,
    writer: MuteWriter,
  ): Promise<HoldStore> {
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
      writer,
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

  /**
   * Releases the recipient's holds due at `now` as one digest; null when none is due. Under the recipient's
   * lock: a digest decided before but not all delivered (a crash or a failure before COMMIT) is finished first,
   * under its id and with its messages; then the due holds are planned and the digest appended to the
   * recipient's digest stream (at the revision read: the guard against a second digest of the same number),
   * its messages delivered, its holds marked released, its row written — and COMMIT.
   */
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
      const target = { stream: digestStream(tenantId, recipientId), decider: digestStreamDecider };
      const state = await this.writer.state(target);
      let finished: Digest | undefined;
      if (state.last && (await this.stillHeld(tx, state.last))) finished = await this.finish(tx, state.last);
      if (options.releaseKey) {
        const earlier = state.byKey.get(options.releaseKey);
        if (earlier) {
          await options.beforeCommit?.(tx);
          return toDigestOf(earlier);
        }
      }
      const { rows } = await tx.query<{
        seq: string;
        message_id: string;
        release_ms: string;
        throttle_keys: string[];
      }>(
        `SELECT seq, message_id, (extract(epoch FROM release_at) * 1000)::bigint AS release_ms, throttle_keys
           FROM ${this.holds} WHERE tenant_id = $1 AND recipient_id = $2 AND state = 'held'
            AND release_at <= to_timestamp($3 / 1000.0)
          ORDER BY seq`,
        [tenantId, recipientId, now],
      );
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
      if (plan.release.length === 0) {
        await options.beforeCommit?.(tx);
        return finished ?? null;
      }
      const digestNo = (state.last?.digestNo ?? 0) + 1;
      const data: DigestReleasedData = {
        digestId: digestIdOf(this.schema, tenantId, recipientId, digestNo),
        tenantId,
        recipientId,
        digestNo,
        releasedAt: now,
        trigger: options.trigger ?? 'sweep',
        releaseKey: options.releaseKey ?? null,
        messageIds: plan.release.map((h) => h.messageId),
      };
      await this.writer.write(
        target,
        { type: 'ReleaseDigest', data },
        { tenantId, actorId: 'mute-service.release', correlationId: data.digestId },
        { expectedRevision: state.revision },
      );
      const digest = await this.finish(tx, data);
      await options.beforeCommit?.(tx);
      return digest;
    });
  }

  /** Is any message of this digest still held (it was decided, not all delivered)? */
  private async stillHeld(tx: Sql, d: DigestReleasedData): Promise<boolean> {
    const { rows } = await tx.query(
      `SELECT 1 FROM ${this.holds} WHERE tenant_id = $1 AND message_id = ANY($2::text[]) AND state = 'held' LIMIT 1`,
      [d.tenantId, d.messageIds],
    );
    return rows.length > 0;
  }

  /** Delivers a recorded digest (again, after a crash: the sink is idempotent per message) and marks it done. */
  private async finish(tx: PoolClient, d: DigestReleasedData): Promise<Digest> {
    const { rows } = await tx.query<{
      seq: string;
      message_id: string;
      sent_ms: string;
      message: Record<string, unknown>;
      reason: string;
    }>(
      `SELECT seq, message_id, (extract(epoch FROM sent_at) * 1000)::bigint AS sent_ms, message, reason
         FROM ${this.holds} WHERE tenant_id = $1 AND message_id = ANY($2::text[])`,
      [d.tenantId, d.messageIds],
    );
    const byId = new Map(rows.map((r) => [r.message_id, r]));
    // The lock makes this impossible; if it ever is not, nothing commits rather than a digest with a hole.
    if (byId.size !== d.messageIds.length) throw new Error('a digest names a message that is not held here');
    await this.recordDigest(tx, d);
    await tx.query(
      `UPDATE ${this.holds} SET state = 'released', digest_id = $1
        WHERE tenant_id = $2 AND message_id = ANY($3::text[]) AND state = 'held'`,
      [d.digestId, d.tenantId, d.messageIds],
    );
    const digest = toDigestOf(d);
    const data: MessagesReleasedV1 = {
      tenantId: d.tenantId,
      recipientId: d.recipientId,
      digestId: d.digestId,
      digestNo: d.digestNo,
      releasedAt: new Date(d.releasedAt).toISOString(),
      messages: d.messageIds.map((messageId) => {
        const r = byId.get(messageId)!;
        return {
          messageId,
          heldSeq: r.seq,
          sentAt: new Date(Number(r.sent_ms)).toISOString(),
          reason: r.reason,
          message: r.message,
        };
      }),
    };
    await this.sink.deliver(tx, digest, data);
    return digest;
  }

  /** The digest's row (the release's own write, and the hold feed's from DigestReleased: idempotent). */
  async recordDigest(q: Sql, d: DigestReleasedData): Promise<void> {
    await q.query(
      `INSERT INTO ${this.digests} (digest_id, tenant_id, recipient_id, digest_no, released_at, trigger, release_key, message_ids)
       VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0), $6, $7, $8) ON CONFLICT DO NOTHING`,
      [
        d.digestId,
        d.tenantId,
        d.recipientId,
        d.digestNo,
        d.releasedAt,
        d.trigger,
        d.releaseKey,
        d.messageIds,
      ],
    );
  }

  /** A held message delivered by a release (HeldMessageReleased; the hold feed): no longer held. Idempotent. */
  async markReleased(q: Sql, tenantId: string, messageId: string, releaseId: string): Promise<void> {
    await q.query(
      `UPDATE ${this.holds} SET state = 'released', digest_id = CASE WHEN $3 ~ '^[0-9a-f-]{36}$' THEN $3::uuid END
        WHERE tenant_id = $1 AND message_id = $2 AND state = 'held'`,
      [tenantId, messageId, releaseId],
    );
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
const toDigestOf = (d: DigestReleasedData): Digest => ({
  digestId: d.digestId,
  tenantId: d.tenantId,
  recipientId: d.recipientId,
  digestNo: d.digestNo,
  releasedAt: d.releasedAt,
  trigger: d.trigger,
  messageIds: d.messageIds,
});
const toDigest = (r: DigestRow): Digest => ({
  digestId: r.digest_id,
  tenantId: r.tenant_id,
  recipientId: r.recipient_id,
  digestNo: r.digest_no,
  releasedAt: Number(r.released_ms),
  trigger: r.trigger,
  messageIds: r.message_ids,
});
