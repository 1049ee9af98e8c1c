import type { Pool } from 'pg';
import { createSchemaIfMissing, quoteIdent } from '@tagguard/event-store';

/**
 * Notification delivery's tables (decision D86):
 * - notification_channels: a tenant's channels, written only by ChannelWriter (optimistic revision);
 *   `secret` is the webhook signing secret or the WeCom application secret, never read back over gRPC.
 * - notification_deliveries: the durable outbox, one row per (notification or digest, channel), written
 *   in the inbox transaction of the event that requested it; the dispatcher claims due rows with a lease
 *   (FOR UPDATE SKIP LOCKED), so a restarted or second instance resumes exactly what was left.
 */
export async function createNotificationTables(pool: Pool, schema: string): Promise<void> {
  const s = quoteIdent(schema);
  await createSchemaIfMissing(pool, schema);
  await pool.query(`CREATE TABLE IF NOT EXISTS ${s}.notification_channels (
    tenant_id text NOT NULL, channel_id text NOT NULL, kind text NOT NULL, targets text[] NOT NULL,
    config jsonb NOT NULL, secret text NOT NULL, revision bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, channel_id))`);
  await pool.query(`CREATE TABLE IF NOT EXISTS ${s}.notification_deliveries (
    delivery_id uuid PRIMARY KEY,
    tenant_id text NOT NULL,
    dedup_key text NOT NULL,
    channel_id text NOT NULL,
    channel_kind text NOT NULL,
    target text NOT NULL,
    level text NOT NULL,
    items jsonb NOT NULL,
    window_start timestamptz,
    status text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    last_error text NOT NULL DEFAULT '',
    detail text NOT NULL DEFAULT '',
    next_attempt_at timestamptz,
    claimed_until timestamptz,
    claim_id uuid,
    delivered_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, dedup_key))`);
  await pool.query(
    `CREATE INDEX IF NOT EXISTS notification_deliveries_due ON ${s}.notification_deliveries (next_attempt_at)
     WHERE status IN ('pending', 'retrying')`,
  );
  await pool.query(
    `CREATE INDEX IF NOT EXISTS notification_deliveries_tenant ON ${s}.notification_deliveries (tenant_id, created_at DESC, delivery_id)`,
  );
}
