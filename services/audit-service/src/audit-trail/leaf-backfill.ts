import type { Pool } from 'pg';
import { quoteIdent } from '@tagguard/event-store';
import { canonicalOf, lockTree, splitFrontier } from './audit-records.table';
import { recordOfRow, type StoredRecordRow } from './audit-log.reader';
import { canonicalRecordBytes } from './tree/canonical-record';
import { appendLeaves, leafHash } from './tree/rfc9162';

/**
 * Makes every record written before the tree existed (leaf_index NULL) a leaf of its tenant's tree:
 * one tenant at a time, in seq order, `batchSize` records per transaction under the tree row's lock,
 * the same leaf bytes and subtrees an append writes. Idempotent: a record once placed is never touched
 * again, and a second run (or another instance starting at once) finds nothing left. Such records land
 * after the leaves the tree already had. Answers how many records it placed.
 */
export async function backfillLeaves(pool: Pool, schema: string, batchSize = 1_000): Promise<number> {
  const s = quoteIdent(schema);
  const { rows: tenants } = await pool.query<{ tenant_id: string }>(
    `SELECT DISTINCT tenant_id FROM ${s}.audit_records WHERE leaf_index IS NULL ORDER BY tenant_id`,
  );
  let placed = 0;
  for (const { tenant_id: tenantId } of tenants) {
    for (;;) {
      const tx = await pool.connect();
      try {
        await tx.query('BEGIN');
        const tree = await lockTree(tx, s, tenantId);
        const { rows } = await tx.query<StoredRecordRow & { seq: string }>(
          `SELECT seq, leaf_index, event_id::text, tenant_id, event_type, actor_id, subject_id, correlation_id,
             occurred_at, recorded_at, data, leaf_hash
           FROM ${s}.audit_records WHERE tenant_id = $1 AND leaf_index IS NULL ORDER BY seq LIMIT $2`,
          [tenantId, batchSize],
        );
        if (rows.length === 0) {
          await tx.query('COMMIT');
          break;
        }
        const leaves = rows.map((row, i) =>
          leafHash(canonicalRecordBytes(canonicalOf(recordOfRow(row), tree.size + i))),
        );
        const grown = appendLeaves(tree.size, splitFrontier(tree.frontier), leaves);
        await tx.query(
          `WITH placed AS (
             UPDATE ${s}.audit_records r SET leaf_index = u.leaf_index, leaf_hash = u.leaf_hash
             FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) AS u(seq, leaf_index, leaf_hash)
             WHERE r.seq = u.seq),
           nodes AS (
             INSERT INTO ${s}.merkle_nodes (tree_id, level, idx, hash)
             SELECT $4, n.level, n.idx, n.hash FROM unnest($5::smallint[], $6::bigint[], $7::bytea[]) AS n(level, idx, hash))
           UPDATE ${s}.merkle_trees SET size = $8, frontier = $9 WHERE tree_id = $4`,
          [
            rows.map((r) => r.seq),
            rows.map((_, i) => tree.size + i),
            leaves,
            tree.treeId,
            grown.nodes.map((n) => n.level),
            grown.nodes.map((n) => n.index),
            grown.nodes.map((n) => n.hash),
            grown.size,
            Buffer.concat(grown.frontier),
          ],
        );
        await tx.query('COMMIT');
        placed += rows.length;
      } catch (error) {
        await tx.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        tx.release();
      }
    }
  }
  return placed;
}
