import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { quoteIdent } from '@tagguard/event-store';
import { canonicalRecordBytes, canonicalJson } from './tree/canonical-record';
import { canonicalOf, splitFrontier, type IncomingRecord } from './audit-records.table';
import {
  appendLeaves,
  consistencyProof,
  fromNodes,
  inclusionPath,
  leafHash,
  nodeId,
  nodesRead,
  rootOfFrontier,
  subtreeHash,
  withStoredNodes,
  type Hash,
  type NodeKey,
  type NodeSource,
} from './tree/rfc9162';
import { logIdOf, verifyTreeHead, type SignedTreeHead } from './tree/tree-head';
import type { IssuedTreeHead } from './tree-heads';

export interface StoredRecordRow {
  leaf_index: string;
  event_id: string;
  tenant_id: string;
  event_type: string;
  actor_id: string;
  /** Absent from rows selected without it (older queries): then the record had none. */
  actor_department_id?: string | null;
  subject_id: string;
  correlation_id: string;
  occurred_at: Date;
  recorded_at: Date;
  data: unknown;
  leaf_hash: Buffer | null;
}

const RECORD_COLUMNS = `leaf_index, event_id::text, tenant_id, event_type, actor_id, actor_department_id, subject_id, correlation_id,
  occurred_at, recorded_at, data, leaf_hash`;

export function recordOfRow(row: StoredRecordRow): IncomingRecord {
  return {
    eventId: row.event_id,
    tenantId: row.tenant_id,
    eventType: row.event_type,
    actorId: row.actor_id,
    actorDepartmentId: row.actor_department_id ?? null,
    subjectId: row.subject_id,
    correlationId: row.correlation_id,
    occurredAt: row.occurred_at.toISOString(),
    recordedAt: row.recorded_at.toISOString(),
    data: row.data,
  };
}

/** The leaf bytes a stored row stands for: recomputed from its columns, never read from a stored copy. */
export const leafBytesOfRow = (row: StoredRecordRow): Buffer =>
  canonicalRecordBytes(canonicalOf(recordOfRow(row), Number(row.leaf_index)));

/** A tenant's tree as a proof needs it: its id and size (the right edge is folded from stored nodes). */
export interface TreeSize {
  treeId: number;
  size: number;
}

export interface TreeRow extends TreeSize {
  frontier: Hash[];
}

export interface BadRecord {
  leafIndex: number;
  eventId: string;
  problem:
    'RECORD_MISSING' | 'RECORD_ALTERED' | 'SUBTREE_ALTERED' | 'TREE_HEAD_MISMATCH' | 'TREE_SIZE_MISMATCH';
  detail: string;
}

export interface TrailVerdict {
  ok: boolean;
  treeSize: number;
  rootHash: Hash;
  recordsChecked: number;
  treeHeadsChecked: number;
  firstBad?: BadRecord;
}

/** Reads one schema's audit log: trees, stored subtrees, records; proofs and the full re-verification. */
export class AuditLogReader {
  private readonly s: string;
  /** Names this schema's prepared statements (a schema name may be longer than a statement name allows). */
  private readonly statementKey: string;
  /** The size of the latest head each tenant's proofs were last made against: the next proof's guess. */
  private readonly latestHeadSize = new Map<string, number>();
  private readonly statements = new Map<string, { name: string; text: string }>();

  constructor(
    private readonly pool: Pool,
    schema: string,
  ) {
    this.s = quoteIdent(schema);
    this.statementKey = createHash('sha256').update(schema).digest('hex').slice(0, 12);
  }

  async tree(tenantId: string): Promise<TreeRow | undefined> {
    const { rows } = await this.pool.query<{ tree_id: number; size: string; frontier: Buffer }>(
      `SELECT tree_id, size, frontier FROM ${this.s}.merkle_trees WHERE tenant_id = $1`,
      [tenantId],
    );
    const row = rows[0];
    return row && { treeId: row.tree_id, size: Number(row.size), frontier: splitFrontier(row.frontier) };
  }

  /** Every stored node (level 0 from the records) among `keys`, in one round trip. */
  private fetchNodes(tenantId: string, treeId: number) {
    return async (keys: NodeKey[]): Promise<Map<string, Hash>> => {
      const leaves = keys.filter((k) => k.level === 0).map((k) => k.index);
      const inner = keys.filter((k) => k.level > 0);
      const { rows } = await this.pool.query<{ level: number; idx: string; hash: Buffer }>({
        ...this.statement(
          'nodes',
          () => `SELECT 0::smallint AS level, leaf_index AS idx, leaf_hash AS hash FROM ${this.s}.audit_records
           WHERE tenant_id = $1 AND leaf_index = ANY($2::bigint[]) AND leaf_hash IS NOT NULL
           UNION ALL
           SELECT n.level, n.idx, n.hash FROM ${this.s}.merkle_nodes n
           JOIN unnest($4::smallint[], $5::bigint[]) AS k(level, idx) ON n.level = k.level AND n.idx = k.idx
           WHERE n.tree_id = $3`,
        ),
        values: [tenantId, leaves, treeId, inner.map((k) => k.level), inner.map((k) => k.index)],
      });
      return new Map(rows.map((r) => [nodeId({ level: r.level, index: Number(r.idx) }), r.hash]));
    };
  }

  async rootAt(tenantId: string, tree: TreeRow, size: number): Promise<Hash> {
    if (size === tree.size) return rootOfFrontier(tree.frontier);
    return withStoredNodes((get) => subtreeHash(get, 0, size), this.fetchNodes(tenantId, tree.treeId));
  }

  async inclusionProof(tenantId: string, tree: TreeSize, leafIndex: number, size: number): Promise<Hash[]> {
    return withStoredNodes(
      (get) => inclusionPath(get, leafIndex, size),
      this.fetchNodes(tenantId, tree.treeId),
    );
  }

  async consistencyProof(tenantId: string, tree: TreeSize, first: number, second: number) {
    const fetch = this.fetchNodes(tenantId, tree.treeId);
    // One round trip for the proof and both roots: all three read the same stored subtrees.
    return withStoredNodes(
      (get) => ({
        proof: first === second ? [] : consistencyProof(get, first, second),
        firstRoot: subtreeHash(get, 0, first),
        secondRoot: subtreeHash(get, 0, second),
      }),
      fetch,
    );
  }

  /**
   * A prepared statement of this schema: parsed and planned once per connection, not on every proof; its
   * text is built once per reader.
   */
  private statement(kind: string, text: () => string) {
    let config = this.statements.get(kind);
    if (!config) {
      config = { name: `audit_${this.statementKey}_${kind}`, text: text() };
      this.statements.set(kind, config);
    }
    return config;
  }

  /**
   * The tree row and one signed head — the latest, or the latest issued for `size` (> 0) — in one query.
   */
  async treeAndHead(tenantId: string, size: number): Promise<{ tree?: TreeSize; head?: IssuedTreeHead }> {
    const { tree, head } = await this.bundle(tenantId, size, undefined, []);
    return { ...(tree ? { tree } : {}), ...(head ? { head } : {}) };
  }

  /**
   * ONE prepared statement, ONE row: the tree row (id and size), one signed head (the latest, or the latest
   * for `size` > 0), optionally one record (by leaf index or event id), and the stored nodes among `keys`
   * (level 0 from the records) concatenated in key order with their count. Every hash still comes from the
   * store on every call: nothing is cached. `found` is undefined when the store did not return exactly one
   * 32-byte hash per key (a node missing, or rewritten to another length): the caller then reads the nodes
   * row by row, so the proof shows what is stored rather than failing here.
   */
  private async bundle(
    tenantId: string,
    size: number,
    by: { eventId: string } | { leafIndex: number } | undefined,
    keys: NodeKey[],
  ): Promise<{ tree?: TreeSize; head?: IssuedTreeHead; row?: StoredRecordRow; found?: Map<string, Hash> }> {
    const headVariant = size > 0 ? 'sized' : 'latest';
    // No record wanted: the leaf variant with a NULL index, which matches no row.
    const recordVariant = by !== undefined && 'eventId' in by ? 'event' : 'leaf';
    const leaves: NodeKey[] = [];
    const inner: NodeKey[] = [];
    for (const key of keys) (key.level === 0 ? leaves : inner).push(key);
    const { rows } = await this.pool.query<
      StoredRecordRow & {
        tree_id: number;
        size: string;
        tree_size: string | null;
        timestamp_ms: string | null;
        root_hash: Buffer | null;
        signature: Buffer | null;
        key_id: string | null;
        witness_status: string | null;
        leaves_found: number;
        leaf_hashes: Buffer | null;
        nodes_found: number;
        node_hashes: Buffer | null;
      }
    >({
      ...this.statement(`bundle_${headVariant}_${recordVariant}`, () =>
        this.bundleText(headVariant, recordVariant),
      ),
      values: [
        tenantId,
        size,
        by === undefined ? null : 'leafIndex' in by ? by.leafIndex : by.eventId,
        // Array literals written here: pg's own array conversion allocates a string per element.
        `{${leaves.map((k) => k.index).join(',')}}`,
        `{${inner.map((k) => k.level).join(',')}}`,
        `{${inner.map((k) => k.index).join(',')}}`,
      ],
    });
    const first = rows[0];
    if (!first) return {};
    const found = new Map<string, Hash>();
    const take = (wanted: NodeKey[], count: number, hashes: Buffer | null): boolean => {
      if (count !== wanted.length || (hashes?.length ?? 0) !== 32 * count) return false;
      wanted.forEach((key, i) => found.set(nodeId(key), hashes!.subarray(32 * i, 32 * i + 32)));
      return true;
    };
    const complete =
      take(leaves, first.leaves_found, first.leaf_hashes) &&
      take(inner, first.nodes_found, first.node_hashes);
    const tree = { treeId: first.tree_id, size: Number(first.size) };
    const head: IssuedTreeHead | undefined =
      first.tree_size === null
        ? undefined
        : {
            logId: logIdOf(tenantId),
            treeSize: Number(first.tree_size),
            timestampMs: Number(first.timestamp_ms),
            rootHash: first.root_hash!,
            signature: first.signature!,
            keyId: first.key_id!,
            witnessStatus: first.witness_status!,
          };
    if (size === 0 && head) {
      if (this.latestHeadSize.size >= 10_000) this.latestHeadSize.clear();
      this.latestHeadSize.set(tenantId, head.treeSize);
    }
    return {
      tree,
      ...(head ? { head } : {}),
      ...(first.leaf_index !== null ? { row: first } : {}),
      ...(complete ? { found } : {}),
    };
  }

  private bundleText(headVariant: 'sized' | 'latest', recordVariant: 'leaf' | 'event'): string {
    const s = this.s;
    return `WITH t AS (SELECT tree_id, size FROM ${s}.merkle_trees WHERE tenant_id = $1)
      SELECT t.tree_id, t.size, h.tree_size, h.timestamp_ms, h.root_hash, h.signature, h.key_id, h.witness_status,
        r.leaf_index, r.event_id::text AS event_id, r.tenant_id, r.event_type, r.actor_id, r.actor_department_id,
        r.subject_id, r.correlation_id, r.occurred_at, r.recorded_at, r.data, r.leaf_hash,
        lv.found AS leaves_found, lv.hashes AS leaf_hashes, nd.found AS nodes_found, nd.hashes AS node_hashes
      FROM t LEFT JOIN LATERAL (
        SELECT h.tree_size, h.timestamp_ms, h.root_hash, h.signature, h.key_id, h.witness_status
        FROM ${s}.tree_heads h WHERE h.tree_id = t.tree_id AND ${headVariant === 'sized' ? 'h.tree_size = $2::bigint' : '$2::bigint = 0'}
        ORDER BY h.tree_size DESC, h.timestamp_ms DESC LIMIT 1) h ON true
      LEFT JOIN ${s}.audit_records r ON r.tenant_id = $1 AND ${
        recordVariant === 'leaf' ? 'r.leaf_index = $3::bigint' : 'r.event_id = $3::uuid'
      }
      CROSS JOIN LATERAL (
        SELECT count(*)::int AS found, string_agg(a.leaf_hash, ''::bytea ORDER BY k.ord) AS hashes
        FROM unnest($4::bigint[]) WITH ORDINALITY AS k(idx, ord)
        JOIN ${s}.audit_records a ON a.tenant_id = $1 AND a.leaf_index = k.idx AND a.leaf_hash IS NOT NULL) lv
      CROSS JOIN LATERAL (
        SELECT count(*)::int AS found, string_agg(n.hash, ''::bytea ORDER BY k.ord) AS hashes
        FROM unnest($5::smallint[], $6::bigint[]) WITH ORDINALITY AS k(level, idx, ord)
        JOIN ${s}.merkle_nodes n ON n.tree_id = t.tree_id AND n.level = k.level AND n.idx = k.idx) nd`;
  }

  /** The proof's tree size as planned: the size asked for, else the latest head's size this reader last saw. */
  private guessSize(tenantId: string, size: number): number {
    return size || this.latestHeadSize.get(tenantId) || 0;
  }

  /**
   * Everything GetInclusionProof needs — tree, head, record and the audit path's stored nodes — in ONE
   * prepared statement when the leaf index is named and the proof's tree size is known or guessed right
   * (the size asked for, else the latest head's size this reader last saw); otherwise a second query for
   * the path.
   */
  async inclusionBundle(
    tenantId: string,
    by: { eventId: string } | { leafIndex: number },
    size: number,
  ): Promise<{
    tree?: TreeSize;
    head?: IssuedTreeHead;
    row?: StoredRecordRow;
    proofFor: (n: number) => Promise<Hash[]>;
  }> {
    const guess = this.guessSize(tenantId, size);
    const planned =
      'leafIndex' in by && by.leafIndex < guess ? { index: by.leafIndex, size: guess } : undefined;
    const keys = planned ? nodesRead((get) => inclusionPath(get, planned.index, planned.size)) : [];
    const { tree, head, row, found } = await this.bundle(tenantId, size, by, keys);
    if (!tree) return { proofFor: () => Promise.reject(new Error('no tree')) };
    return {
      tree,
      ...(head ? { head } : {}),
      ...(row ? { row } : {}),
      proofFor: async (n: number) => {
        const index = Number(row!.leaf_index);
        const compute = (get: Parameters<typeof inclusionPath>[0]) => inclusionPath(get, index, n);
        if (found && planned && planned.index === index && planned.size === n)
          return fromNodes(compute, found);
        return withStoredNodes(compute, this.fetchNodes(tenantId, tree.treeId));
      },
    };
  }

  /**
   * Everything GetConsistencyProof needs — tree, head, the proof's and both roots' stored nodes — in ONE
   * prepared statement when the second size is named or the latest head's size is guessed right.
   */
  async consistencyBundle(
    tenantId: string,
    first: number,
    size: number,
  ): Promise<{
    tree?: TreeSize;
    head?: IssuedTreeHead;
    proofFor: (second: number) => Promise<{ proof: Hash[]; firstRoot: Hash; secondRoot: Hash }>;
  }> {
    const guess = this.guessSize(tenantId, size);
    const compute = (second: number) => (get: NodeSource) => ({
      proof: first === second ? [] : consistencyProof(get, first, second),
      firstRoot: subtreeHash(get, 0, first),
      secondRoot: subtreeHash(get, 0, second),
    });
    const planned = first >= 1 && first <= guess ? guess : undefined;
    const keys = planned ? nodesRead(compute(planned)) : [];
    const { tree, head, found } = await this.bundle(tenantId, size, undefined, keys);
    if (!tree) return { proofFor: () => Promise.reject(new Error('no tree')) };
    return {
      tree,
      ...(head ? { head } : {}),
      proofFor: async (second: number) =>
        found && second === planned
          ? fromNodes(compute(second), found)
          : withStoredNodes(compute(second), this.fetchNodes(tenantId, tree.treeId)),
    };
  }

  async record(
    tenantId: string,
    by: { eventId: string } | { leafIndex: number },
  ): Promise<StoredRecordRow | undefined> {
    const { rows } = await this.pool.query<StoredRecordRow>(
      'eventId' in by
        ? `SELECT ${RECORD_COLUMNS} FROM ${this.s}.audit_records WHERE tenant_id = $1 AND event_id = $2::uuid`
        : `SELECT ${RECORD_COLUMNS} FROM ${this.s}.audit_records WHERE tenant_id = $1 AND leaf_index = $2`,
      [tenantId, 'eventId' in by ? by.eventId : by.leafIndex],
    );
    return rows[0];
  }

  /** The tenant's records in leaf order, [from, to), a page at a time (keyset: no long-held cursor). */
  async *records(tenantId: string, to: number, pageSize = 5_000): AsyncGenerator<StoredRecordRow[]> {
    let after = -1;
    for (;;) {
      const { rows } = await this.pool.query<StoredRecordRow>(
        `SELECT ${RECORD_COLUMNS} FROM ${this.s}.audit_records
         WHERE tenant_id = $1 AND leaf_index > $2 AND leaf_index < $3 ORDER BY leaf_index LIMIT $4`,
        [tenantId, after, to, pageSize],
      );
      if (rows.length === 0) return;
      yield rows;
      after = Number(rows[rows.length - 1]!.leaf_index);
    }
  }

  async treeHeads(treeId: number): Promise<(SignedTreeHead & { witnessStatus: string; keyId: string })[]> {
    const { rows } = await this.pool.query<{
      tree_size: string;
      timestamp_ms: string;
      root_hash: Buffer;
      signature: Buffer;
      key_id: string;
      witness_status: string;
      tenant_id: string;
    }>(
      `SELECT h.tree_size, h.timestamp_ms, h.root_hash, h.signature, h.key_id, h.witness_status, t.tenant_id
       FROM ${this.s}.tree_heads h JOIN ${this.s}.merkle_trees t USING (tree_id)
       WHERE h.tree_id = $1 ORDER BY h.tree_size, h.timestamp_ms`,
      [treeId],
    );
    return rows.map((r) => ({
      logId: logIdOf(r.tenant_id),
      treeSize: Number(r.tree_size),
      timestampMs: Number(r.timestamp_ms),
      rootHash: r.root_hash,
      signature: r.signature,
      keyId: r.key_id,
      witnessStatus: r.witness_status,
    }));
  }

  /**
   * Recomputes the tenant's log from its records alone: each leaf from the row's columns, each
   * complete subtree from the leaves, each signed tree head's root from its prefix (and its signature),
   * and names the first record (in leaf order) where the stored log departs from what it should be.
   */
  async verify(tenantId: string, publicKeyPem: string): Promise<TrailVerdict> {
    const tree = await this.tree(tenantId);
    if (!tree)
      return { ok: true, treeSize: 0, rootHash: rootOfFrontier([]), recordsChecked: 0, treeHeadsChecked: 0 };
    const heads = await this.treeHeads(tree.treeId);
    let headAt = 0;
    let size = 0;
    let frontier: Hash[] = [];
    let lastEventId = '';
    const verdict = (firstBad?: BadRecord): TrailVerdict => ({
      ok: !firstBad,
      treeSize: tree.size,
      rootHash: rootOfFrontier(tree.frontier),
      recordsChecked: size,
      treeHeadsChecked: headAt,
      ...(firstBad ? { firstBad } : {}),
    });
    const checkHeads = (): BadRecord | undefined => {
      for (; headAt < heads.length && heads[headAt]!.treeSize === size; headAt++) {
        const head = heads[headAt]!;
        const root = rootOfFrontier(frontier);
        if (!head.rootHash.equals(root) || !verifyTreeHead(head, publicKeyPem))
          return {
            leafIndex: Math.max(size - 1, 0),
            eventId: lastEventId,
            problem: 'TREE_HEAD_MISMATCH',
            detail: `the tree head signed at ${new Date(head.timestampMs).toISOString()} for size ${size} ${
              head.rootHash.equals(root) ? 'has a bad signature' : 'does not match the records before it'
            }`,
          };
      }
      return undefined;
    };
    const early = checkHeads();
    if (early) return verdict(early);
    for await (const page of this.records(tenantId, Number.MAX_SAFE_INTEGER)) {
      const start = size;
      const stored = await this.storedNodesClosedBy(tree.treeId, start, start + page.length);
      for (const row of page) {
        const index = Number(row.leaf_index);
        if (index !== size)
          return verdict({
            leafIndex: size,
            eventId: '',
            problem: 'RECORD_MISSING',
            detail: `leaf ${size} is gone: the next stored record is leaf ${index} (event ${row.event_id})${
              lastEventId ? `, the one before is event ${lastEventId}` : ''
            }`,
          });
        const leaf = leafHash(leafBytesOfRow(row));
        if (!row.leaf_hash || !leaf.equals(row.leaf_hash))
          return verdict({
            leafIndex: index,
            eventId: row.event_id,
            problem: 'RECORD_ALTERED',
            detail: `record ${row.event_id} (leaf ${index}) no longer hashes to its leaf: ${canonicalJson(
              canonicalOf(recordOfRow(row), index),
            ).slice(0, 200)}`,
          });
        const grown = appendLeaves(size, frontier, [leaf]);
        for (const node of grown.nodes) {
          const have = stored.get(nodeId(node));
          if (!have || !have.equals(node.hash))
            return verdict({
              leafIndex: index,
              eventId: row.event_id,
              problem: 'SUBTREE_ALTERED',
              detail: `the stored subtree (level ${node.level}, index ${node.index}) ending at leaf ${index} is ${
                have ? 'altered' : 'missing'
              }`,
            });
        }
        frontier = grown.frontier;
        size = grown.size;
        lastEventId = row.event_id;
        const bad = checkHeads();
        if (bad) return verdict(bad);
      }
    }
    if (size !== tree.size || !rootOfFrontier(frontier).equals(rootOfFrontier(tree.frontier)))
      return verdict({
        leafIndex: size,
        eventId: '',
        problem: size < tree.size ? 'RECORD_MISSING' : 'TREE_SIZE_MISMATCH',
        detail: `the tree says ${tree.size} leaves, the records give ${size}${
          size < tree.size ? `: leaf ${size} and after are gone` : ''
        }`,
      });
    if (headAt < heads.length)
      return verdict({
        leafIndex: size,
        eventId: '',
        problem: 'TREE_HEAD_MISMATCH',
        detail: `a tree head was signed for size ${heads[headAt]!.treeSize}, beyond the ${size} records stored`,
      });
    return verdict();
  }

  /** The stored subtrees (level ≥ 1) whose last leaf is in [from, to). */
  private async storedNodesClosedBy(treeId: number, from: number, to: number): Promise<Map<string, Hash>> {
    const levels: number[] = [];
    const lo: number[] = [];
    const hi: number[] = [];
    for (let level = 1, width = 2; width <= to; level++, width *= 2) {
      // Subtree i ends at leaf (i+1)·width − 1.
      const first = Math.ceil((from + 1) / width) - 1;
      const last = Math.floor(to / width) - 1;
      if (last < first) continue;
      levels.push(level);
      lo.push(first);
      hi.push(last);
    }
    const { rows } = await this.pool.query<{ level: number; idx: string; hash: Buffer }>(
      `SELECT n.level, n.idx, n.hash FROM ${this.s}.merkle_nodes n
       JOIN unnest($2::smallint[], $3::bigint[], $4::bigint[]) AS r(level, lo, hi)
         ON n.level = r.level AND n.idx BETWEEN r.lo AND r.hi
       WHERE n.tree_id = $1`,
      [treeId, levels, lo, hi],
    );
    return new Map(rows.map((r) => [nodeId({ level: r.level, index: Number(r.idx) }), r.hash]));
  }
}
