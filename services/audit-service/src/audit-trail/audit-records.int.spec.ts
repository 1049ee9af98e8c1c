import { randomUUID } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import { testInfra } from '@tagguard/testing';
import { AuditLogReader, leafBytesOfRow } from './audit-log.reader';
import { leafHash, rootOfFrontier } from './tree/rfc9162';
import { verifyConsistency, verifyInclusion } from './tree/rfc9162.verify';
import { Logger } from '@nestjs/common';
import { resolveTreeHeadKey } from '../config/tree-head-key';
import { TreeHeads } from './tree-heads';
import {
  createAuditRecordsTable,
  insertAuditRecords,
  KnownTrees,
  type IncomingRecord,
} from './audit-records.table';
import { backfillLeaves } from './leaf-backfill';

// The append path on a real PostgreSQL: one statement per tenant when this process knows the tree's
// right edge, and still exactly right when it does not (another instance appended, or a rolled-back
// transaction left the guess ahead); records from before the tree are backfilled once, in seq order.
const run = randomUUID().slice(0, 8);
const schema = `audit_rec_${run}`;

const record = (tenantId: string, i: number): IncomingRecord => {
  const now = new Date().toISOString();
  return {
    eventId: randomUUID(),
    tenantId,
    eventType: 'tag.created.v1',
    actorId: 'a1',
    subjectId: `tag-${i}`,
    correlationId: randomUUID(),
    occurredAt: now,
    recordedAt: now,
    data: { tenantId, name: `t${i}`, n: i },
  };
};

describe('audit records as leaves of their tenant tree', () => {
  let pool: Pool;
  let reader: AuditLogReader;

  const inTx = async <T>(work: (tx: PoolClient) => Promise<T>, commit = true): Promise<T> => {
    const tx = await pool.connect();
    try {
      await tx.query('BEGIN');
      const result = await work(tx);
      await tx.query(commit ? 'COMMIT' : 'ROLLBACK');
      return result;
    } catch (error) {
      await tx.query('ROLLBACK');
      throw error;
    } finally {
      tx.release();
    }
  };

  beforeAll(async () => {
    pool = new Pool({ connectionString: testInfra().postgresUrl });
    await createAuditRecordsTable(pool, schema);
    reader = new AuditLogReader(pool, schema);
  });

  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it('given two instances appending to one tenant, and a rolled-back append, when they go on, then leaves stay dense and the log verifies', async () => {
    const tenant = `two-${run}`;
    const [a, b] = [new KnownTrees(), new KnownTrees()];
    const placedA = await inTx((tx) =>
      insertAuditRecords(
        tx,
        schema,
        [0, 1, 2].map((i) => record(tenant, i)),
        a,
      ),
    );
    // b has never seen the tree: its first append locks and reads it.
    const placedB = await inTx((tx) =>
      insertAuditRecords(
        tx,
        schema,
        [3, 4].map((i) => record(tenant, i)),
        b,
      ),
    );
    // a's guess (size 3) is stale now; a rolled-back append of b leaves b's guess ahead (size 7).
    await inTx(
      (tx) =>
        insertAuditRecords(
          tx,
          schema,
          [5, 6].map((i) => record(tenant, i)),
          b,
        ),
      false,
    );
    const placedA2 = await inTx((tx) =>
      insertAuditRecords(
        tx,
        schema,
        [7, 8].map((i) => record(tenant, i)),
        a,
      ),
    );
    // Same size as b's rolled-back guess (7), but another right edge: b must not write on its guess.
    const placedB2 = await inTx((tx) =>
      insertAuditRecords(
        tx,
        schema,
        [9].map((i) => record(tenant, i)),
        b,
      ),
    );
    expect([...placedA, ...placedB, ...placedA2, ...placedB2].map((p) => p.leafIndex)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7,
    ]);
    const verdict = await reader.verify(tenant, '');
    expect(verdict).toMatchObject({ ok: true, treeSize: 8, recordsChecked: 8 });
  });

  it('given records written before the tree existed, when the backfill runs twice, then they become leaves once, in seq order, after the existing ones', async () => {
    const tenant = `old-${run}`;
    await inTx((tx) => insertAuditRecords(tx, schema, [record(tenant, 0)]));
    const old = [1, 2, 3, 4, 5].map((i) => record(tenant, i));
    for (const r of old)
      await pool.query(
        `INSERT INTO "${schema}".audit_records (event_id, tenant_id, event_type, actor_id, subject_id, correlation_id, occurred_at, recorded_at, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          r.eventId,
          r.tenantId,
          r.eventType,
          r.actorId,
          r.subjectId,
          r.correlationId,
          r.occurredAt,
          r.recordedAt,
          JSON.stringify(r.data),
        ],
      );
    expect(await backfillLeaves(pool, schema, 2)).toBe(5);
    expect(await backfillLeaves(pool, schema, 2)).toBe(0);
    const { rows } = await pool.query<{ event_id: string; leaf_index: string }>(
      `SELECT event_id::text, leaf_index FROM "${schema}".audit_records WHERE tenant_id = $1 ORDER BY seq`,
      [tenant],
    );
    expect(rows.slice(1)).toEqual(old.map((r, i) => ({ event_id: r.eventId, leaf_index: String(i + 1) })));
    // New appends go on after them (the process's guess of size 1 is stale: it retries under the lock).
    await inTx((tx) => insertAuditRecords(tx, schema, [record(tenant, 6)]));
    expect(await reader.verify(tenant, '')).toMatchObject({ ok: true, treeSize: 7, recordsChecked: 7 });
  });

  it('given records with and without an actor department, when a proof is read in one query, then its record recomputes the stored leaf and the path verifies', async () => {
    const tenant = `proof-${run}`;
    const records = [0, 1, 2, 3, 4].map((i) => ({
      ...record(tenant, i),
      actorDepartmentId: i % 2 ? 'dept-east' : null,
    }));
    await inTx((tx) => insertAuditRecords(tx, schema, records, new KnownTrees()));
    const tree = (await reader.tree(tenant))!;
    for (const i of [0, 1, 4]) {
      const bundle = await reader.inclusionBundle(tenant, { leafIndex: i }, 5);
      const leaf = leafHash(leafBytesOfRow(bundle.row!));
      expect(leaf).toEqual(bundle.row!.leaf_hash);
      expect(verifyInclusion(i, 5, leaf, await bundle.proofFor(5), rootOfFrontier(tree.frontier))).toBe(true);
    }
  });

  it('given stored subtrees rewritten to another length or deleted, when a proof is read in one query, then it serves what is stored (a path that fails) or names the missing subtree', async () => {
    const tenant = `cut-${run}`;
    await inTx((tx) =>
      insertAuditRecords(
        tx,
        schema,
        [0, 1, 2, 3, 4, 5, 6, 7].map((i) => record(tenant, i)),
        new KnownTrees(),
      ),
    );
    const tree = (await reader.tree(tenant))!;
    const root = rootOfFrontier(tree.frontier);
    const proofOf = async (leaf: number) => {
      const bundle = await reader.inclusionBundle(tenant, { leafIndex: leaf }, 8);
      return { leaf: bundle.row!.leaf_hash!, path: await bundle.proofFor(8) };
    };
    const intact = await proofOf(0);
    expect(verifyInclusion(0, 8, intact.leaf, intact.path, root)).toBe(true);
    // Leaf 0's path: leaf 1, subtree (1, 1) and subtree (2, 1). One hash cut to 31 bytes, behind the server.
    await pool.query(
      `UPDATE "${schema}".merkle_nodes SET hash = substring(hash from 1 for 31) WHERE tree_id = $1 AND level = 2 AND idx = 1`,
      [tree.treeId],
    );
    const cut = await proofOf(0);
    expect(cut.path.map((h) => h.length)).toEqual([32, 32, 31]);
    expect(cut.path.slice(0, 2)).toEqual(intact.path.slice(0, 2));
    expect(cut.path[2]).toEqual(intact.path[2]!.subarray(0, 31));
    expect(verifyInclusion(0, 8, cut.leaf, cut.path, root)).toBe(false);
    await pool.query(`DELETE FROM "${schema}".merkle_nodes WHERE tree_id = $1 AND level = 1 AND idx = 1`, [
      tree.treeId,
    ]);
    await expect(proofOf(0)).rejects.toMatchObject({
      code: 'AUDIT.LOG_INCOMPLETE',
      key: { level: 1, index: 1 },
    });
    // A leaf whose path avoids both still proves from the one query.
    const other = await proofOf(5);
    expect(verifyInclusion(5, 8, other.leaf, other.path, root)).toBe(true);
  });

  it('given a reader that planned proofs on the latest head it saw, when another instance appends and signs a newer head, then the next inclusion and consistency proofs are for the new head and verify', async () => {
    const tenant = `guess-${run}`;
    // Two instances: each its own reader, its own signer and its own guess of the tree.
    const other = new TreeHeads(pool, schema, resolveTreeHeadKey({}), new Map(), new Logger('test'));
    const heads = new TreeHeads(pool, schema, resolveTreeHeadKey({}), new Map(), new Logger('test'));
    await inTx((tx) =>
      insertAuditRecords(
        tx,
        schema,
        [0, 1, 2].map((i) => record(tenant, i)),
        new KnownTrees(),
      ),
    );
    const first = await heads.issue(tenant);
    // Planned on size 3 from here on (the latest head this reader saw).
    const seen = await reader.inclusionBundle(tenant, { leafIndex: 1 }, 0);
    expect(seen.head!.treeSize).toBe(3);
    await inTx((tx) =>
      insertAuditRecords(
        tx,
        schema,
        [3, 4, 5, 6, 7, 8].map((i) => record(tenant, i)),
        new KnownTrees(),
      ),
    );
    const newer = await other.issue(tenant);
    expect(newer.treeSize).toBe(9);
    for (const leaf of [1, 8]) {
      const bundle = await reader.inclusionBundle(tenant, { leafIndex: leaf }, 0);
      expect(bundle.head!.treeSize).toBe(9);
      const path = await bundle.proofFor(bundle.head!.treeSize);
      expect(verifyInclusion(leaf, 9, bundle.row!.leaf_hash!, path, newer.rootHash)).toBe(true);
    }
    // The reader now guesses 9; a third head (size 10) is again seen by the consistency proof.
    await inTx((tx) => insertAuditRecords(tx, schema, [record(tenant, 9)], new KnownTrees()));
    const third = await other.issue(tenant);
    const consistency = await reader.consistencyBundle(tenant, 3, 0);
    expect(consistency.head!.treeSize).toBe(10);
    const { proof, firstRoot, secondRoot } = await consistency.proofFor(10);
    expect(firstRoot).toEqual(first.rootHash);
    expect(secondRoot).toEqual(third.rootHash);
    expect(verifyConsistency(3, 10, first.rootHash, third.rootHash, proof)).toBe(true);
  });
});
