import type { Pool, PoolClient } from 'pg';
import { createSchemaIfMissing, quoteIdent } from '@tagguard/event-store';
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
  await createSchemaIfMissing(pool, schema);
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
  // The actor's department as the directory copy knew it (D102); NULL when unknown, and then not in the leaf.
  await pool.query(`ALTER TABLE ${s}.audit_records ADD COLUMN IF NOT EXISTS actor_department_id text`);
  await pool.query(`CREATE INDEX IF NOT EXISTS audit_records_tenant ON ${s}.audit_records (tenant_id, seq)`);
  await pool.query(
    `CREATE UNIQUE INDEX IF NOT EXISTS audit_records_leaf ON ${s}.audit_records (tenant_id, leaf_index)`,
  );
  // Empty once every record is a leaf: the start-up backfill (leaf-backfill.ts) finds the rest by it.
  await pool.query(
    `CREATE INDEX IF NOT EXISTS audit_records_unplaced ON ${s}.audit_records (tenant_id, seq) WHERE leaf_index IS NULL`,
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
  /** The object the event is about (parseAudited); the Kafka key where the topic is keyed by object. */
  subjectId: string = message.key,
): IncomingRecord {
  return {
    eventId: message.eventId,
    tenantId: message.metadata.tenantId,
    eventType: message.type,
    actorId: message.metadata.actorId,
    actorDepartmentId,
    subjectId,
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
export type TreeState = { treeId: number; size: number; frontier: Buffer };

/**
 * The last (size, right edge) this process wrote per tenant tree. Only a guess: an append writes on it
 * only if the row still holds exactly that size and edge (compared in the same statement), so a stale
 * entry (another instance appended, or our transaction rolled back) costs one retry under the row lock,
 * never a wrong node.
 */
export class KnownTrees {
  private readonly trees = new Map<string, TreeState>();

  constructor(private readonly max = 10_000) {}

  get(key: string): TreeState | undefined {
    return this.trees.get(key);
  }

  remember(key: string, state: TreeState): void {
    this.trees.delete(key);
    this.trees.set(key, state);
    if (this.trees.size > this.max) this.trees.delete(this.trees.keys().next().value!);
  }
}

const processTrees = new KnownTrees();

/** Locks the tenant's tree row (created on its first record): appends to one tree run one at a time. */
export async function lockTree(tx: PoolClient, s: string, tenantId: string): Promise<TreeState> {
  // SELECT … FOR UPDATE leaves no row version behind (an upsert would, on every append).
  const lock = `SELECT tree_id, size, frontier FROM ${s}.merkle_trees WHERE tenant_id = $1 FOR UPDATE`;
  let found = (await tx.query<LockedTree>(lock, [tenantId])).rows[0];
  if (!found) {
    await tx.query(
      `INSERT INTO ${s}.merkle_trees (tenant_id) VALUES ($1) ON CONFLICT (tenant_id) DO NOTHING`,
      [tenantId],
    );
    found = (await tx.query<LockedTree>(lock, [tenantId])).rows[0]!;
  }
  return { treeId: found.tree_id, size: Number(found.size), frontier: found.frontier };
}

/**
 * Writes `batch` as the next leaves of a tree believed to be `tree`, with the subtrees they close and
 * the new right edge, in ONE statement — or writes nothing (and answers undefined) if the tree row no
 * longer holds that size and edge. The row's UPDATE comes first, so it also takes the row lock.
 */
async function appendIfUnchanged(
  tx: PoolClient,
  s: string,
  tenantId: string,
  tree: TreeState,
  batch: IncomingRecord[],
): Promise<TreeState | undefined> {
  const size = tree.size;
  const leaves = batch.map((r, i) => leafHash(canonicalRecordBytes(canonicalOf(r, size + i))));
  const grown = appendLeaves(size, splitFrontier(tree.frontier), leaves);
  const frontier = Buffer.concat(grown.frontier);
  const { rows } = await tx.query<{ appended: number }>(
    `WITH tree AS (
       UPDATE ${s}.merkle_trees SET size = $16, frontier = $17
       WHERE tree_id = $12 AND size = $18 AND frontier = $19 RETURNING tree_id),
     records AS (
       INSERT INTO ${s}.audit_records (event_id, tenant_id, event_type, actor_id, subject_id, correlation_id,
         occurred_at, recorded_at, data, leaf_index, leaf_hash, actor_department_id)
       SELECT r.event_id, $1, r.event_type, r.actor_id, r.subject_id, r.correlation_id, r.occurred_at,
         r.recorded_at, r.data, r.leaf_index, r.leaf_hash, r.actor_department_id
       FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
         $8::timestamptz[], $9::jsonb[], $10::bigint[], $11::bytea[], $20::text[])
         AS r(event_id, event_type, actor_id, subject_id, correlation_id, occurred_at, recorded_at, data,
           leaf_index, leaf_hash, actor_department_id)
       WHERE EXISTS (SELECT 1 FROM tree)),
     nodes AS (
       INSERT INTO ${s}.merkle_nodes (tree_id, level, idx, hash)
       SELECT $12, n.level, n.idx, n.hash FROM unnest($13::smallint[], $14::bigint[], $15::bytea[]) AS n(level, idx, hash)
       WHERE EXISTS (SELECT 1 FROM tree))
     SELECT count(*)::int AS appended FROM tree`,
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
      tree.treeId,
      grown.nodes.map((n) => n.level),
      grown.nodes.map((n) => n.index),
      grown.nodes.map((n) => n.hash),
      grown.size,
      frontier,
      size,
      tree.frontier,
      batch.map((r) => r.actorDepartmentId ?? null),
    ],
  );
  return rows[0]!.appended === 1 ? { treeId: tree.treeId, size: grown.size, frontier } : undefined;
}

/**
 * Appends records to their tenants' trees inside the caller's transaction (the inbox's): the records
 * get the next leaf indexes of their tenant's tree, and the subtrees they close are written with them.
 * One statement per tenant when this process knows the tree's right edge (it wrote the last append);
 * otherwise the row is locked and read first, then the same statement.
 */
export async function insertAuditRecords(
  tx: PoolClient,
  schema: string,
  records: IncomingRecord[],
  knownTrees: KnownTrees = processTrees,
): Promise<{ tenantId: string; leafIndex: number }[]> {
  const s = quoteIdent(schema);
  const byTenant = new Map<string, IncomingRecord[]>();
  for (const r of records) {
    const list = byTenant.get(r.tenantId);
    if (list) list.push(r);
    else byTenant.set(r.tenantId, [r]);
  }
  const placed: { tenantId: string; leafIndex: number }[] = [];
  // Tenants in a fixed order: two batches never wait on each other's tree rows in a cycle.
  for (const tenantId of [...byTenant.keys()].sort()) {
    const batch = byTenant.get(tenantId)!;
    const key = `${schema}\u0000${tenantId}`;
    const known = knownTrees.get(key);
    let before = known;
    let after = known && (await appendIfUnchanged(tx, s, tenantId, known, batch));
    if (!after) {
      before = await lockTree(tx, s, tenantId);
      after = await appendIfUnchanged(tx, s, tenantId, before, batch);
      if (!after) throw new Error(`the locked tree of tenant ${tenantId} changed under its lock`);
    }
    knownTrees.remember(key, after);
    batch.forEach((_, i) => placed.push({ tenantId, leafIndex: before!.size + i }));
  }
  return placed;
}
