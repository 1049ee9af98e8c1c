import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { Pool, type PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
// The benchmark drives audit-service's own storage code (the ingest path, the proof reader), not a copy:
// the one import of a service outside the embedded host. A lib for the audit log would lift this.
// eslint-disable-next-line @nx/enforce-module-boundaries
import {
  AuditLogReader,
  appendLeaves,
  canonicalOf,
  canonicalRecordBytes,
  createAuditRecordsTable,
  insertAuditRecords,
  leafHash,
  rootOfFrontier,
  verifyInclusion,
  type IncomingRecord,
} from '@tagguard/audit-service';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { protoRoot } from '@tagguard/grpc-runtime';
import { Inbox } from '@tagguard/messaging';
import { freePort, startServiceProcess, tagguardClient } from '@tagguard/testing';
import { grpcToAudit } from './grpc-to-audit.bench';
import { measureInterleaved, percentiles, round } from './measure';
import type { BenchContext } from './registry';

const INGEST_RECORDS = Number(process.env['BENCH_INGEST_RECORDS'] ?? 40_000);
const LOG_SIZE = Number(process.env['BENCH_LOG_SIZE'] ?? 10_000_000);
const PROOFS = Number(process.env['BENCH_PROOFS'] ?? 2_000);

const record = (tenantId: string, i: number, now = new Date().toISOString()): IncomingRecord => {
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
};

/**
 * `npm run bench -- audit` (issue 14 item 6): (1) ingest with the tree maintained, through the consumer's
 * own path (inbox + record + leaf + subtrees in one transaction), beside the same path without the
 * tree; (2) inclusion and consistency proofs on a log of BENCH_LOG_SIZE (10,000,000) records, built
 * with COPY, beside a bare primary-key read; (3) the grpc-to-audit pipeline beside raw Kafka.
 */
export async function audit(context: BenchContext) {
  const run = randomUUID().replace(/-/g, '').slice(0, 8);
  const pool = new Pool({ connectionString: context.postgresUrl, max: 8 });
  pool.on('error', () => undefined);
  const schemas: string[] = [];
  const loadAtStart = loadavg().map(round);
  try {
    // Each part is printed as it ends: the 10M build is long, and a later failure should not lose it.
    const ingest = await ingestBench(pool, `bench_audit_ingest_${run}`, schemas);
    console.error(`[bench] ingest ${JSON.stringify(ingest)}`);
    const proofs = await proofBench(context, pool, `bench_audit_log_${run}`, schemas);
    console.error(`[bench] proofs ${JSON.stringify(proofs)}`);
    const pipeline = await grpcToAudit(context);
    return {
      // 2 cores shared by 8 engineers: the load average says how loaded the machine was.
      loadAverage: { atStart: loadAtStart, atEnd: loadavg().map(round) },
      description:
        'audit-service: ingest with the Merkle tree maintained; inclusion proofs on a large log; grpc-to-audit pipeline vs raw Kafka',
      ingest,
      proofs,
      pipeline,
      goals: {
        ingestRecordsPerSecond: { goal: 5_000, measured: ingest.withTreeBatched.recordsPerSecond },
        inclusionProofP99Ms: { goal: 5, logSize: proofs.logSize, measured: proofs.grpcInclusionProofMs.p99 },
        pipelineP99VsKafkaP99: { goal: 3, measured: pipeline.pipelineToBaselineP99 },
      },
    };
  } finally {
    for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

async function ingestBench(pool: Pool, schema: string, schemas: string[]) {
  schemas.push(schema);
  await createAuditRecordsTable(pool, schema);
  // The same table without the tree, for the baseline: what the trail cost before issue 14.
  await pool.query(`CREATE TABLE "${schema}".plain_records (LIKE "${schema}".audit_records INCLUDING ALL)`);
  const inbox = await Inbox.create(pool, schema);
  const tenants = ['t0', 't1', 't2', 't3'];
  // One event per inbox transaction, as the consumer handles a message; 4 workers = 4 partitions, each
  // its own tenant (one tenant's appends serialise on its tree row).
  const perEvent = await measureInterleaved(
    {
      withTree: async (i) => {
        const r = record(tenants[Math.abs(i) % 4]!, i);
        await inbox.processOnce('bench', r.eventId, async (tx) => {
          await insertAuditRecords(tx, schema, [r]);
        });
      },
      withoutTree: async (i) => {
        const r = record(tenants[Math.abs(i) % 4]!, i);
        await inbox.processOnce('bench', r.eventId, async (tx) => {
          await tx.query(
            `INSERT INTO "${schema}".plain_records (event_id, tenant_id, event_type, actor_id, subject_id, correlation_id, occurred_at, recorded_at, data)
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
        });
      },
    },
    { total: INGEST_RECORDS / 2, rounds: 4, warmup: 200, concurrency: 4 },
  );
  // Batches of 250 events in one inbox transaction (what a batch consumer would do), alternating batch by
  // batch with the same batch written without the tree.
  const BATCH = 250;
  const batches = INGEST_RECORDS / BATCH;
  const inTransaction = async (work: (tx: PoolClient) => Promise<void>) => {
    const tx = await pool.connect();
    try {
      await tx.query('BEGIN');
      await work(tx);
      await tx.query('COMMIT');
    } finally {
      tx.release();
    }
  };
  const claim = async (tx: PoolClient, group: string, batch: IncomingRecord[]) => {
    const { rows } = await tx.query<{ event_id: string }>(
      `INSERT INTO "${schema}".inbox (consumer_group, event_id) SELECT $2, unnest($1::uuid[])
       ON CONFLICT DO NOTHING RETURNING event_id::text`,
      [batch.map((r) => r.eventId), group],
    );
    const fresh = new Set(rows.map((r) => r.event_id));
    return batch.filter((r) => fresh.has(r.eventId));
  };
  let treeSeconds = 0;
  let plainSeconds = 0;
  for (let b = 0; b < batches; b++) {
    const batch = Array.from({ length: BATCH }, (_, i) => record('batched', b * BATCH + i));
    const plain = Array.from({ length: BATCH }, (_, i) => record('batched', b * BATCH + i));
    let t = performance.now();
    await inTransaction(
      async (tx) => void (await insertAuditRecords(tx, schema, await claim(tx, 'bench-batch', batch))),
    );
    treeSeconds += (performance.now() - t) / 1000;
    t = performance.now();
    await inTransaction(async (tx) => {
      const fresh = await claim(tx, 'bench-plain', plain);
      await tx.query(
        `INSERT INTO "${schema}".plain_records (event_id, tenant_id, event_type, actor_id, subject_id, correlation_id, occurred_at, recorded_at, data)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[], $9::jsonb[])`,
        [
          fresh.map((r) => r.eventId),
          fresh.map((r) => r.tenantId),
          fresh.map((r) => r.eventType),
          fresh.map((r) => r.actorId),
          fresh.map((r) => r.subjectId),
          fresh.map((r) => r.correlationId),
          fresh.map((r) => r.occurredAt),
          fresh.map((r) => r.recordedAt),
          fresh.map((r) => JSON.stringify(r.data)),
        ],
      );
    });
    plainSeconds += (performance.now() - t) / 1000;
  }
  const seconds = treeSeconds;
  const verdict = await new AuditLogReader(pool, schema).verify('batched', '');
  return {
    description:
      'records/s through inbox + record + leaf + closed subtrees in one transaction; per event (4 workers, 4 tenants) interleaved with the same inbox path without the tree; and 250 events per transaction (one tenant)',
    withTreePerEvent: perEvent.withTree,
    baselineWithoutTreePerEvent: perEvent.withoutTree,
    withTreeBatched: {
      records: INGEST_RECORDS,
      eventsPerTransaction: BATCH,
      seconds: round(seconds),
      recordsPerSecond: round(INGEST_RECORDS / seconds),
      verifyTrailOk: verdict.ok,
    },
    baselineWithoutTreeBatched: {
      records: INGEST_RECORDS,
      eventsPerTransaction: BATCH,
      seconds: round(plainSeconds),
      recordsPerSecond: round(INGEST_RECORDS / plainSeconds),
    },
  };
}

/** COPY text format: bytea as \\x hex. */
const hex = (b: Buffer) => `\\\\x${b.toString('hex')}`;

async function copyInto(
  client: PoolClient,
  sql: string,
  produce: (write: (line: string) => Promise<void>) => Promise<void>,
) {
  const stream = client.query(copyFrom(sql));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  let buffer: string[] = [];
  const flush = async () => {
    if (!stream.write(buffer.join(''))) await new Promise((r) => stream.once('drain', r));
    buffer = [];
  };
  await produce(async (line) => {
    buffer.push(line);
    if (buffer.length >= 2_000) await flush();
  });
  await flush();
  stream.end();
  await done;
}

async function proofBench(context: BenchContext, pool: Pool, schema: string, schemas: string[]) {
  schemas.push(schema);
  const tenantId = 'bench-log';
  const s = `"${schema}"`;
  const t0 = performance.now();
  await createAuditRecordsTable(pool, schema);
  // Load without indexes (built after) and without WAL: this is the benchmark's fixture, not the service.
  await pool.query(
    `ALTER TABLE ${s}.audit_records DROP CONSTRAINT audit_records_pkey, DROP CONSTRAINT audit_records_event_id_key`,
  );
  await pool.query(`DROP INDEX ${s}.audit_records_tenant, ${s}.audit_records_leaf`);
  await pool.query(`ALTER TABLE ${s}.merkle_nodes DROP CONSTRAINT merkle_nodes_pkey`);
  await pool.query(`ALTER TABLE ${s}.audit_records SET UNLOGGED`);
  await pool.query(`ALTER TABLE ${s}.merkle_nodes SET UNLOGGED`);
  const {
    rows: [tree],
  } = await pool.query<{ tree_id: number }>(
    `INSERT INTO ${s}.merkle_trees (tenant_id) VALUES ($1) RETURNING tree_id`,
    [tenantId],
  );
  const [records, nodes] = [await pool.connect(), await pool.connect()];
  let size = 0;
  let frontier: Buffer[] = [];
  const sample: { index: number; leaf: Buffer }[] = [];
  try {
    let nodeLines: string[] = [];
    let writeNode: ((line: string) => Promise<void>) | undefined;
    let nodesReady!: () => void;
    const nodesWriterReady = new Promise<void>((r) => (nodesReady = r));
    let finishNodes!: () => void;
    const nodesFinished = new Promise<void>((r) => (finishNodes = r));
    const nodeCopy = copyInto(
      nodes,
      `COPY ${s}.merkle_nodes (tree_id, level, idx, hash) FROM STDIN`,
      async (write) => {
        writeNode = write;
        nodesReady();
        await nodesFinished;
      },
    );
    await nodesWriterReady;
    await copyInto(
      records,
      `COPY ${s}.audit_records (event_id, tenant_id, event_type, actor_id, subject_id, correlation_id, occurred_at, recorded_at, data, leaf_index, leaf_hash) FROM STDIN`,
      async (write) => {
        const now = new Date().toISOString();
        for (let i = 0; i < LOG_SIZE; i++) {
          const r = record(tenantId, i, now);
          const leaf = leafHash(canonicalRecordBytes(canonicalOf(r, i)));
          if (i % Math.max(1, Math.floor(LOG_SIZE / 50)) === 0) sample.push({ index: i, leaf });
          await write(
            `${r.eventId}\t${tenantId}\t${r.eventType}\t${r.actorId}\t${r.subjectId}\t${r.correlationId}\t${now}\t${now}\t${JSON.stringify(r.data)}\t${i}\t${hex(leaf)}\n`,
          );
          const grown = appendLeaves(size, frontier, [leaf]);
          ({ size, frontier } = grown);
          for (const n of grown.nodes)
            nodeLines.push(`${tree!.tree_id}\t${n.level}\t${n.index}\t${hex(n.hash)}\n`);
          if (nodeLines.length >= 1_000) {
            for (const l of nodeLines) await writeNode!(l);
            nodeLines = [];
          }
        }
      },
    );
    for (const l of nodeLines) await writeNode!(l);
    finishNodes();
    await nodeCopy;
  } finally {
    records.release();
    nodes.release();
  }
  const loadedSeconds = (performance.now() - t0) / 1000;
  await pool.query(`UPDATE ${s}.merkle_trees SET size = $2, frontier = $3 WHERE tree_id = $1`, [
    tree!.tree_id,
    size,
    Buffer.concat(frontier),
  ]);
  const t1 = performance.now();
  // The service's own indexes, built once over the loaded rows (CREATE … IF NOT EXISTS at its start finds them).
  await Promise.all([
    pool.query(`ALTER TABLE ${s}.merkle_nodes ADD PRIMARY KEY (tree_id, level, idx)`),
    (async () => {
      await pool.query(
        `CREATE UNIQUE INDEX audit_records_leaf ON ${s}.audit_records (tenant_id, leaf_index)`,
      );
      await pool.query(`ALTER TABLE ${s}.audit_records ADD PRIMARY KEY (seq), ADD UNIQUE (event_id)`);
      await pool.query(`CREATE INDEX audit_records_tenant ON ${s}.audit_records (tenant_id, seq)`);
    })(),
  ]);
  await pool.query(`ANALYZE ${s}.audit_records`);
  await pool.query(`ANALYZE ${s}.merkle_nodes`);
  const indexedSeconds = (performance.now() - t1) / 1000;
  const root = rootOfFrontier(frontier);

  // In-process (the store alone), then over gRPC to a service process, beside a bare primary-key read.
  const reader = new AuditLogReader(pool, schema);
  const treeRow = (await reader.tree(tenantId))!;
  const randomLeaf = () => Math.floor(Math.random() * size);
  const storeMs: number[] = [];
  const pkMs: number[] = [];
  let pathLength = 0;
  for (let i = 0; i < PROOFS; i++) {
    const leaf = randomLeaf();
    let t = performance.now();
    const path = await reader.inclusionProof(tenantId, treeRow, leaf, size);
    storeMs.push(performance.now() - t);
    pathLength = Math.max(pathLength, path.length);
    t = performance.now();
    await pool.query(`SELECT leaf_hash FROM ${s}.audit_records WHERE tenant_id = $1 AND leaf_index = $2`, [
      tenantId,
      randomLeaf(),
    ]);
    pkMs.push(performance.now() - t);
  }
  for (const { index, leaf } of sample)
    if (
      !verifyInclusion(index, size, leaf, await reader.inclusionProof(tenantId, treeRow, index, size), root)
    )
      throw new Error(`the proof of leaf ${index} does not verify`);

  const port = await freePort();
  const service = await startServiceProcess(
    'audit-service',
    {
      DATABASE_URL: context.postgresUrl,
      DATABASE_SCHEMA: schema,
      GRPC_PORT: String(port),
      AUDIT_TREE_HEAD_INTERVAL_MS: '3600000',
    },
    120_000,
  );
  const grpcMs: number[] = [];
  const consistencyMs: number[] = [];
  try {
    type Unary = (
      r: object,
      m: grpc.Metadata,
      cb: (e: grpc.ServiceError | null, v: Record<string, unknown>) => void,
    ) => void;
    const client = tagguardClient<grpc.Client & Record<string, Unary>>(
      `127.0.0.1:${port}`,
      'tagguard/audit/v1/audit_service.proto',
      protoRoot(),
      ['tagguard', 'audit', 'v1', 'AuditService'],
    );
    const metadata = new grpc.Metadata();
    metadata.set(
      'authorization',
      `Bearer ${signToken({ tenantId, actorId: 'bench', roles: ['auditor'] }, loadDevPrivateKey())}`,
    );
    const call = (method: string, request: object) =>
      new Promise<Record<string, unknown>>((resolve, reject) =>
        client[method]!.call(client, request, metadata, (e, v) => (e ? reject(e) : resolve(v))),
      );
    const head = (await call('IssueTreeHead', {}))['treeHead'] as { rootHash: Buffer };
    if (!head.rootHash.equals(root)) throw new Error('the service signed another root than the one built');
    for (let i = 0; i < 100; i++) await call('GetInclusionProof', { leafIndex: String(randomLeaf()) }); // warm-up
    for (let i = 0; i < PROOFS; i++) {
      const leaf = randomLeaf();
      const t = performance.now();
      const proof = await call('GetInclusionProof', { leafIndex: String(leaf) });
      grpcMs.push(performance.now() - t);
      if (
        i % 100 === 0 &&
        !verifyInclusion(leaf, size, proof['leafHash'] as Buffer, proof['auditPath'] as Buffer[], root)
      )
        throw new Error(`the gRPC proof of leaf ${leaf} does not verify`);
    }
    for (let i = 0; i < Math.min(PROOFS, 500); i++) {
      const t = performance.now();
      await call('GetConsistencyProof', {
        firstTreeSize: String(1 + randomLeaf()),
        secondTreeSize: String(size),
      });
      consistencyMs.push(performance.now() - t);
    }
    client.close();
  } finally {
    await service.stop('SIGTERM');
  }
  return {
    description:
      'a log of logSize records for one tenant built with COPY (records and subtrees computed in Node, both tables UNLOGGED and indexed after the load); inclusion proofs for random leaves in-process and over gRPC (GetInclusionProof), beside a bare primary-key read of one leaf',
    logSize: size,
    buildSeconds: { generateAndCopy: round(loadedSeconds), indexes: round(indexedSeconds) },
    auditPathLength: pathLength,
    storeInclusionProofMs: percentiles(storeMs),
    grpcInclusionProofMs: percentiles(grpcMs),
    grpcConsistencyProofMs: percentiles(consistencyMs),
    baselinePrimaryKeyReadMs: percentiles(pkMs),
  };
}
