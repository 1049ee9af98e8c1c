import { createSchemaIfMissing, quoteIdent } from '@tagguard/event-store';
import type { DataSource } from 'typeorm';

/** Runs SQL on the pool or inside a transaction (TypeORM's DataSource and EntityManager both do). */
export type Sql = { query(sql: string, params?: unknown[]): Promise<unknown> };
export const rows = async <T>(q: Sql, sql: string, params?: unknown[]): Promise<T[]> =>
  (await q.query(sql, params)) as T[];

/**
 * The downstream side's tables in sync-service's schema: the channels (a read model of their streams),
 * the per-channel queue (outbox) with what was last queued per key, each channel's status, its last drift
 * detection, the forced resyncs, and the local copy of tag-service's tags and members.
 */
export class DownstreamTables {
  readonly channels: string;
  readonly outbox: string;
  readonly planned: string;
  readonly status: string;
  readonly drift: string;
  readonly resyncs: string;
  readonly tags: string;
  readonly tagMembers: string;
  readonly tagInbox: string;

  private constructor(readonly schema: string) {
    const t = (name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;
    this.channels = t('downstream_channels');
    this.outbox = t('downstream_outbox');
    this.planned = t('downstream_planned');
    this.status = t('downstream_channel_status');
    this.drift = t('downstream_drift');
    this.resyncs = t('downstream_resyncs');
    this.tags = t('downstream_tags');
    this.tagMembers = t('downstream_tag_members');
    this.tagInbox = t('downstream_tag_inbox');
  }

  static async create(db: DataSource, schema: string): Promise<DownstreamTables> {
    const t = new DownstreamTables(schema);
    await createSchemaIfMissing(db, schema);
    // One transaction and a lock, so two instances starting at once do not race on CREATE.
    await db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${schema}.downstream-ddl`]);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${t.channels} (
        tenant_id text NOT NULL, channel_id text NOT NULL, kind text NOT NULL, connector text NOT NULL,
        settings jsonb NOT NULL, enabled boolean NOT NULL, revision integer NOT NULL,
        PRIMARY KEY (tenant_id, channel_id))`);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${t.outbox} (
        seq bigserial PRIMARY KEY, tenant_id text NOT NULL, channel_id text NOT NULL, key text NOT NULL,
        change jsonb NOT NULL, resync_id uuid, state text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0, last_error text, created_at timestamptz NOT NULL DEFAULT now(),
        applied_at timestamptz)`);
      await tx.query(
        `CREATE INDEX IF NOT EXISTS downstream_outbox_pending ON ${t.outbox} (tenant_id, channel_id, seq) WHERE state = 'pending'`,
      );
      await tx.query(
        `CREATE UNIQUE INDEX IF NOT EXISTS downstream_outbox_resync_key ON ${t.outbox} (resync_id, key) WHERE resync_id IS NOT NULL`,
      );
      await tx.query(`CREATE TABLE IF NOT EXISTS ${t.planned} (
        tenant_id text NOT NULL, channel_id text NOT NULL, key text NOT NULL, change jsonb NOT NULL,
        PRIMARY KEY (tenant_id, channel_id, key))`);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${t.status} (
        tenant_id text NOT NULL, channel_id text NOT NULL, last_applied_key text, last_applied_at timestamptz,
        applied_total bigint NOT NULL DEFAULT 0, failed_total bigint NOT NULL DEFAULT 0, last_error text,
        last_error_at timestamptz, last_drift_at timestamptz, drift_items integer NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, channel_id))`);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${t.drift} (
        tenant_id text NOT NULL, channel_id text NOT NULL, n integer NOT NULL, kind text NOT NULL,
        subject text NOT NULL, member_id text NOT NULL, expected text NOT NULL, actual text NOT NULL,
        PRIMARY KEY (tenant_id, channel_id, n))`);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${t.resyncs} (
        resync_id uuid PRIMARY KEY, tenant_id text NOT NULL, channel_id text NOT NULL, request_key text,
        state text NOT NULL, total integer NOT NULL DEFAULT 0, counts jsonb, started_at timestamptz NOT NULL,
        finished_at timestamptz, report jsonb)`);
      await tx.query(
        `CREATE UNIQUE INDEX IF NOT EXISTS downstream_resyncs_key ON ${t.resyncs} (tenant_id, channel_id, request_key) WHERE request_key IS NOT NULL`,
      );
      await tx.query(`CREATE TABLE IF NOT EXISTS ${t.tags} (
        tenant_id text NOT NULL, tag_id text NOT NULL, name text NOT NULL, kind text NOT NULL,
        node_type text NOT NULL, status text NOT NULL, PRIMARY KEY (tenant_id, tag_id))`);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${t.tagMembers} (
        tenant_id text NOT NULL, tag_id text NOT NULL, member_kind text NOT NULL, member_id text NOT NULL,
        PRIMARY KEY (tenant_id, tag_id, member_kind, member_id))`);
      await tx.query(
        `CREATE INDEX IF NOT EXISTS downstream_tag_members_member ON ${t.tagMembers} (tenant_id, member_kind, member_id)`,
      );
      await tx.query(`CREATE TABLE IF NOT EXISTS ${t.tagInbox} (
        event_id text PRIMARY KEY, processed_at timestamptz NOT NULL DEFAULT now())`);
    });
    return t;
  }
}
