import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Client, type Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
// The benchmark builds the log with audit-service's own leaf bytes and tree, not a copy of them.
// eslint-disable-next-line @nx/enforce-module-boundaries
import {
  appendLeaves,
  canonicalOf,
  canonicalRecordBytes,
  leafHash,
  rootOfFrontier,
  type IncomingRecord,
} from '@tagguard/audit-service';

/**
 * Builds a tenant's audit log of `size` records straight into the service's tables, as fast as this machine
 * allows: the leaves are cut into aligned chunks of 2^CHUNK_LEVEL; worker threads (one per core) each take
 * a chunk, generate its records, hash its leaves and every complete subtree inside it, and stream both
 * into UNLOGGED tables without indexes (two COPYs over their own connections) as they are generated. The chunk roots are then folded here into the
 * few subtrees above the chunks and the tree's right edge. Indexes are the caller's, built after the load.
 */
export const CHUNK_LEVEL = 17;
const CHUNK = 2 ** CHUNK_LEVEL;

interface ChunkTask {
  chunk: number;
  start: number;
  count: number;
}
interface ChunkDone {
  chunk: number;
  /** The chunk's own right edge (one hash, its root, for a full chunk). */
  edge: Buffer[];
  /** Leaf hashes of a few sampled leaves, to check proofs against. */
  sample: { index: number; leaf: Buffer }[];
}

export function benchRecord(tenantId: string, i: number, now = new Date().toISOString()): IncomingRecord {
  const tagId = randomUUID();
  return {
    eventId: randomUUID(),
    tenantId,
    eventType: 'tag.created.v1',
    actorId: 'bench',
    subjectId: tagId,
    correlationId: randomUUID(),
    occurredAt: now,
    recordedAt: now,
    data: {
      tenantId,
      revision: '0',
      tagId,
      name: `bench${i}`,
      kind: 'member',
      nodeType: 'tag',
      parentId: null,
    },
  };
}

/** COPY text format: bytea as \\x hex. */
const hex = (b: Buffer) => `\\\\x${b.toString('hex')}`;

/** A COPY … FROM STDIN fed in 1 MB writes: PostgreSQL parses one write while the next is generated. */
function copyStream(client: Client, sql: string) {
  const stream = client.query(copyFrom(sql));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  let buffer = '';
  return {
    async push(line: string): Promise<void> {
      buffer += line;
      if (buffer.length < 1 << 20) return;
      const full = stream.write(buffer);
      buffer = '';
      if (!full) await new Promise((r) => stream.once('drain', r));
    },
    async end(): Promise<void> {
      if (buffer) stream.write(buffer);
      stream.end();
      await done;
    },
  };
}

/**
 * One chunk: its records and every complete subtree of level ≥ 1 inside it, streamed over two connections
 * (records, subtrees) while they are generated; its right edge returned.
 */
async function buildChunk(
  clients: [Client, Client],
  s: string,
  treeId: number,
  tenantId: string,
  task: ChunkTask,
  sampleEvery: number,
): Promise<ChunkDone> {
  const now = new Date().toISOString();
  const records = copyStream(
    clients[0],
    `COPY ${s}.audit_records (event_id, tenant_id, event_type, actor_id, subject_id, correlation_id, occurred_at, recorded_at, data, leaf_index, leaf_hash) FROM STDIN`,
  );
  const nodes = copyStream(clients[1], `COPY ${s}.merkle_nodes (tree_id, level, idx, hash) FROM STDIN`);
  const sample: ChunkDone['sample'] = [];
  let local = { size: 0, frontier: [] as Buffer[] };
  for (let j = 0; j < task.count; j++) {
    const i = task.start + j;
    const r = benchRecord(tenantId, i, now);
    const leaf = leafHash(canonicalRecordBytes(canonicalOf(r, i)));
    if (i % sampleEvery === 0) sample.push({ index: i, leaf });
    await records.push(
      `${r.eventId}\t${tenantId}\t${r.eventType}\t${r.actorId}\t${r.subjectId}\t${r.correlationId}\t${now}\t${now}\t${JSON.stringify(r.data)}\t${i}\t${hex(leaf)}\n`,
    );
    const grown = appendLeaves(local.size, local.frontier, [leaf]);
    local = grown;
    // The chunk starts at a multiple of 2^CHUNK_LEVEL: its local subtree (l, k) is the log's (l, start/2^l + k).
    for (const n of grown.nodes)
      await nodes.push(`${treeId}\t${n.level}\t${task.start / 2 ** n.level + n.index}\t${hex(n.hash)}\n`);
  }
  await Promise.all([records.end(), nodes.end()]);
  return { chunk: task.chunk, edge: local.frontier, sample };
}

interface WorkerInput {
  postgresUrl: string;
  schema: string;
  treeId: number;
  tenantId: string;
  sampleEvery: number;
}

if (!isMainThread && (workerData as { auditLogBuilder?: WorkerInput } | undefined)?.auditLogBuilder) {
  const input = (workerData as { auditLogBuilder: WorkerInput }).auditLogBuilder;
  const clients: [Client, Client] = [
    new Client({ connectionString: input.postgresUrl }),
    new Client({ connectionString: input.postgresUrl }),
  ];
  const s = `"${input.schema}"`;
  const ready = Promise.all(clients.map((c) => c.connect()));
  parentPort!.on('message', (task: ChunkTask | 'end') => {
    void (async () => {
      await ready;
      if (task === 'end') {
        await Promise.all(clients.map((c) => c.end()));
        parentPort!.close();
        return;
      }
      const done = await buildChunk(clients, s, input.treeId, input.tenantId, task, input.sampleEvery);
      parentPort!.postMessage(done);
    })().catch((error: unknown) => {
      parentPort!.postMessage({ error: (error as Error).stack ?? String(error) });
    });
  });
}

export interface BuiltLog {
  size: number;
  frontier: Buffer[];
  root: Buffer;
  sample: { index: number; leaf: Buffer }[];
  workers: number;
  seconds: number;
}

/**
 * Fills `schema`'s audit_records and merkle_nodes (created, without indexes, by the caller) with a log of
 * `size` records for `tenantId`'s tree `treeId`.
 */
export async function buildAuditLog(
  pool: Pool,
  postgresUrl: string,
  schema: string,
  treeId: number,
  tenantId: string,
  size: number,
  workers = Math.max(1, Math.min(availableParallelism(), 8)),
): Promise<BuiltLog> {
  const started = performance.now();
  const chunks = Math.ceil(size / CHUNK);
  const tasks: ChunkTask[] = Array.from({ length: chunks }, (_, c) => ({
    chunk: c,
    start: c * CHUNK,
    count: Math.min(CHUNK, size - c * CHUNK),
  }));
  const sampleEvery = Math.max(1, Math.floor(size / 50));
  const done: ChunkDone[] = [];
  const input: WorkerInput = { postgresUrl, schema, treeId, tenantId, sampleEvery };
  const running = Array.from({ length: Math.min(workers, chunks) }, () => {
    const worker = new Worker(`require('@swc-node/register'); require(${JSON.stringify(__filename)});`, {
      eval: true,
      workerData: { auditLogBuilder: input },
    });
    return new Promise<void>((resolve, reject) => {
      const next = () => {
        const task = tasks.shift();
        worker.postMessage(task ?? 'end');
      };
      worker.on('message', (m: ChunkDone | { error: string }) => {
        if ('error' in m) {
          reject(new Error(m.error));
          void worker.terminate();
          return;
        }
        done.push(m);
        next();
      });
      worker.on('error', reject);
      worker.on('exit', () => resolve());
      next();
    });
  });
  await Promise.all(running);
  done.sort((a, b) => a.chunk - b.chunk);
  // The full chunks' roots are the leaves of a tree of chunks: its subtrees are the log's above CHUNK_LEVEL.
  const full = done.filter((d) => (d.chunk + 1) * CHUNK <= size);
  const above = appendLeaves(
    0,
    [],
    full.map((d) => d.edge[0]!),
  );
  const partial = done.find((d) => (d.chunk + 1) * CHUNK > size);
  if (done.length !== chunks || full.some((d) => d.edge.length !== 1))
    throw new Error('a chunk of the log was not built whole');
  const frontier = [...above.frontier, ...(partial ? partial.edge : [])];
  if (above.nodes.length > 0)
    await pool.query(
      `INSERT INTO "${schema}".merkle_nodes (tree_id, level, idx, hash)
       SELECT $1, l, i, h FROM unnest($2::smallint[], $3::bigint[], $4::bytea[]) AS n(l, i, h)`,
      [
        treeId,
        above.nodes.map((n) => n.level + CHUNK_LEVEL),
        above.nodes.map((n) => n.index),
        above.nodes.map((n) => n.hash),
      ],
    );
  return {
    size,
    frontier,
    root: rootOfFrontier(frontier),
    sample: done.flatMap((d) => d.sample),
    workers: running.length,
    seconds: (performance.now() - started) / 1000,
  };
}
