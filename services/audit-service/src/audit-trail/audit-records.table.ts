import type { Pool, PoolClient } from 'pg';
import { quoteIdent } from '@tagguard/event-store';
import type { IntegrationMessage } from '@tagguard/messaging';
import { canonicalRecordBytes, type CanonicalRecord } from './tree/canonical-record';
import { appendLeaves, leafHash, type Hash } from './tree/rfc9162';

/**
 * The tables of the audit log (decision D65):
 * - audit_records: one row per audited event (event_id unique), in arrival order (seq); `leaf_index` is
 *   its position in its tenant's Merkle tree and `leaf_hash` = SHA-256(0x00 || canonical record bytes).
 * - merkle_trees: one row per tenant: the tree's size and right edge (frontier), locked by each append so
 *   leaf indexes are dense and in commit order.
 * - merkle_nodes: every complete subtree of level ≥ 1 (level, index) → hash, written by the append
 *   that closes it; proofs read ≤ 2·log2(n) of them by primary key.
 * - tree_heads: the signed tree heads issued, and what the tenant's witness answered.
 */
export async function createAuditRecordsTable(pool: Pool, schema: string): Promise<void> {
  const s = quoteIdent(schema);
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  await pool.query(`CREATE TABLE IF NOT EXISTS ${s}.audit_records (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id uuid NOT NULL UNIQUE,
    tenant_id text NOT NULL,
    event_type text NOT NULL,
    actor_id text NOT NULL,
    subject_id text NOT NULL,
    correlation_id text NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    data jsonb NOT NULL)`);
  // Records written before the tree existed keep a NULL leaf index: they are not in the tree.
  await pool.query(`ALTER TABLE ${s}.audit_records ADD COLUMN IF NOT EXISTS leaf_index bigint,
    ADD COLUMN IF NOT EXISTS leaf_hash bytea`);
  // The actor's department as the directory copy knew it (D-D1); NULL when unknown, and then not in the leaf.
  await pool.query(`ALTER TABLE ${s}.audit_records ADD COLUMN IF NOT EXISTS actor_department_id text`);
  await pool.query(`CREATE INDEX IF NOT EXISTS audit_records_tenant ON ${s}.audit_records (tenant_id, seq)`);
  await pool.query(
    `CREATE UNIQUE INDEX IF NOT EXISTS audit_records_leaf ON ${s}.audit_records (tenant_id, leaf_index)`,
  );
  await pool.query(`CREATE TABLE IF NOT EXISTS ${s}.merkle_trees (
    tree_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id text NOT NULL UNIQUE,
    size bigint NOT NULL DEFAULT 0,
    frontier bytea NOT NULL DEFAULT ''::bytea)`);
  await pool.query(`CREATE TABLE IF NOT EXISTS ${s}.merkle_nodes (
    tree_id integer NOT NULL, level smallint NOT NULL, idx bigint NOT NULL, hash bytea NOT NULL,
    PRIMARY KEY (tree_id, level, idx))`);
  await pool.query(`CREATE TABLE IF NOT EXISTS ${s}.tree_heads (
    tree_id integer NOT NULL, tree_size bigint NOT NULL, timestamp_ms bigint NOT NULL,
    root_hash bytea NOT NULL, signature bytea NOT NULL, key_id text NOT NULL,
    witness_status text NOT NULL, witness_detail text NOT NULL DEFAULT '',
    PRIMARY KEY (tree_id, tree_size, timestamp_ms))`);
}

/** One audited event as the trail stores it, before it has a leaf index. */
export interface IncomingRecord {
  eventId: string;
  tenantId: string;
  eventType: string;
  actorId: string;
  /** The actor's department (from the directory copy), when known. */
  actorDepartmentId?: string | null;
  subjectId: string;
  correlationId: string;
  /** RFC 3339 with milliseconds, UTC: exactly what the leaf bytes and the row hold. */
  occurredAt: string;
  recordedAt: string;
  data: unknown;
}

export function incomingRecord(
  message: IntegrationMessage,
  now = new Date(),
  actorDepartmentId: string | null = null,
): IncomingRecord {
  return {
    eventId: message.eventId,
    tenantId: message.metadata.tenantId,
    eventType: message.type,
    actorId: message.metadata.actorId,
    actorDepartmentId,
    subjectId: message.key,
    correlationId: message.metadata.correlationId,
    // Normalised to milliseconds: timestamptz keeps them exactly, so the row recomputes the same bytes.
    occurredAt: new Date(message.metadata.occurredAt).toISOString(),
    recordedAt: now.toISOString(),
    // As jsonb gives it back (undefined dropped, numbers as doubles), so the leaf recomputes from the row.
    data: JSON.parse(JSON.stringify(message.data ?? null)) as unknown,
  };
}

export function canonicalOf(record: IncomingRecord, leafIndex: number): CanonicalRecord {
  return {
    v: 1,
    leaf_index: leafIndex,
    tenant_id: record.tenantId,
    event_id: record.eventId,
    event_type: record.eventType,
    actor_id: record.actorId,
    // Absent (not null) when unknown: records without a department keep the bytes they always had.
    actor_department_id: record.actorDepartmentId ?? undefined,
    subject_id: record.subjectId,
    correlation_id: record.correlationId,
    occurred_at: record.occurredAt,
    recorded_at: record.recordedAt,
    data: record.data,
  };
}

export const splitFrontier = (bytes: Buffer): Hash[] =>
  Array.from({ length: bytes.length / 32 }, (_, i) => bytes.subarray(i * 32, i * 32 + 32));

type LockedTree = { tree_id: number; size: string; frontier: Buffer };

/** Locks the tenant's tree row (created on its first record): appends to one tree run one at a time. */
async function lockTree(tx: PoolClient, s: string, tenantId: string): Promise<LockedTree> {
  // SELECT … FOR UPDATE leaves no row version behind (an upsert would, on every append).
  const lock = `SELECT tree_id, size, frontier FROM ${s}.merkle_trees WHERE tenant_id = $1 FOR UPDATE`;
  const found = await tx.query<LockedTree>(lock, [tenantId]);
  if (found.rows[0]) return found.rows[0];
  await tx.query(`INSERT INTO ${s}.merkle_trees (tenant_id) VALUES ($1) ON CONFLICT (tenant_id) DO NOTHING`, [
    tenantId,
  ]);
  return (await tx.query<LockedTree>(lock, [tenantId])).rows[0]!;
}

/**
 * Appends records to their tenants' trees inside the caller's transaction (the inbox's): each tenant's
 * tree row is locked, the records get the next leaf indexes, and the subtrees they close are written
 * with them — one round trip to lock and one to write per tenant, however many records.
 */
export async function insertAuditRecords(
  tx: PoolClient,
  schema: string,
  records: IncomingRecord[],
): Promise<{ tenantId: string; leafIndex: number }[]> {
  const s = quoteIdent(schema);
  const byTenant = new Map<string, IncomingRecord[]>();
  for (const r of records) byTenant.set(r.tenantId, [...(byTenant.get(r.tenantId) ?? []), r]);
  const placed: { tenantId: string; leafIndex: number }[] = [];
  // Tenants in a fixed order: two batches never wait on each other's tree rows in a cycle.
  for (const tenantId of [...byTenant.keys()].sort()) {
    const batch = byTenant.get(tenantId)!;
    const tree = await lockTree(tx, s, tenantId);
    const size = Number(tree.size);
    const leaves = batch.map((r, i) => leafHash(canonicalRecordBytes(canonicalOf(r, size + i))));
    const grown = appendLeaves(size, splitFrontier(tree.frontier), leaves);
    await tx.query(
      `WITH records AS (
         INSERT INTO ${s}.audit_records (event_id, tenant_id, event_type, actor_id, subject_id, correlation_id,
           occurred_at, recorded_at, data, leaf_index, leaf_hash, actor_department_id)
         SELECT r.event_id, $1, r.event_type, r.actor_id, r.subject_id, r.correlation_id, r.occurred_at,
           r.recorded_at, r.data, r.leaf_index, r.leaf_hash, r.actor_department_id
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
           $8::timestamptz[], $9::jsonb[], $10::bigint[], $11::bytea[], $18::text[])
           AS r(event_id, event_type, actor_id, subject_id, correlation_id, occurred_at, recorded_at, data,
             leaf_index, leaf_hash, actor_department_id)),
       nodes AS (
         INSERT INTO ${s}.merkle_nodes (tree_id, level, idx, hash)
         SELECT $12, n.level, n.idx, n.hash FROM unnest($13::smallint[], $14::bigint[], $15::bytea[]) AS n(level, idx, hash))
       UPDATE ${s}.merkle_trees SET size = $16, frontier = $17 WHERE tree_id = $12`,
      [
        tenantId,
        batch.map((r) => r.eventId),
        batch.map((r) => r.eventType),
        batch.map((r) => r.actorId),
        batch.map((r) => r.subjectId),
        batch.map((r) => r.correlationId),
        batch.map((r) => r.occurredAt),
        batch.map((r) => r.recordedAt),
        batch.map((r) => JSON.stringify(r.data)),
        batch.map((_, i) => size + i),
        leaves,
        tree.tree_id,
        grown.nodes.map((n) => n.level),
        grown.nodes.map((n) => n.index),
        grown.nodes.map((n) => n.hash),
        grown.size,
        Buffer.concat(grown.frontier),
        batch.map((r) => r.actorDepartmentId ?? null),
      ],
    );
    batch.forEach((_, i) => placed.push({ tenantId, leafIndex: size + i }));
  }
  return placed;
}
