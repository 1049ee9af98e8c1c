import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { Pool, type PoolClient } from 'pg';
// The benchmark drives audit-service's own storage code (the ingest path, the proof reader), not a copy:
// the one import of a service outside the embedded host. A lib for the audit log would lift this.
// eslint-disable-next-line @nx/enforce-module-boundaries
import {
  AuditLogReader,
  createAuditRecordsTable,
  insertAuditRecords,
  leafBytesOfRow,
  leafHash,
  ReportStore,
  rootOfFrontier,
  verifyInclusion,
  type IncomingRecord,
} from '@tagguard/audit-service';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { protoRoot } from '@tagguard/grpc-runtime';
import { Inbox } from '@tagguard/messaging';
import { freePort, startServiceProcess, tagguardClient } from '@tagguard/testing';
import { benchRecord, buildAuditLog, CHUNK_LEVEL } from './audit-log-build';
import {
  accessLogDurations,
  FloorServers,
  GHZ_VERSION,
  ghz,
  ghzBinary,
  nodeClosedLoop,
  type Placement,
} from './grpc-load';
import { grpcToAudit } from './grpc-to-audit.bench';
import { measureInterleaved, percentiles, round } from './measure';
import type { BenchContext } from './registry';

const INGEST_RECORDS = Number(process.env['BENCH_INGEST_RECORDS'] ?? 40_000);
const LOG_SIZE = Number(process.env['BENCH_LOG_SIZE'] ?? 10_000_000);
const PROOFS = Number(process.env['BENCH_PROOFS'] ?? 2_000);
/** Rounds of the proofs asked from outside the bench process (ghz, then a Node client process, per round). */
const PROOF_ROUNDS = Number(process.env['BENCH_PROOF_ROUNDS'] ?? 3);

const record = benchRecord;

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
    const ingest = PARTS.has('ingest')
      ? await ingestBench(pool, `bench_audit_ingest_${run}`, schemas)
      : undefined;
    if (ingest) console.error(`[bench] ingest ${JSON.stringify(ingest)}`);
    const proofs = PARTS.has('proofs') ? await proofBench(context, pool, run, schemas) : undefined;
    if (proofs) console.error(`[bench] proofs ${JSON.stringify(proofs)}`);
    const pipeline = PARTS.has('pipeline') ? await grpcToAudit(context) : undefined;
    return {
      // 2 cores shared by several engineers: the load average says how loaded the machine was.
      loadAverage: { atStart: loadAtStart, atEnd: loadavg().map(round) },
      description:
        'audit-service: ingest with the Merkle tree maintained; inclusion proofs on a large log; grpc-to-audit pipeline vs raw Kafka',
      sizes: {
        ingestRecords: INGEST_RECORDS,
        logSize: LOG_SIZE,
        proofs: PROOFS,
        keepLog: KEEP_LOG,
        parts: [...PARTS],
      },
      ingest,
      proofs,
      pipeline,
      goals: {
        ingestRecordsPerSecond: { goal: 5_000, measured: ingest?.withTreeBatched.recordsPerSecond },
        inclusionProofP99Ms: {
          goal: 5,
          logSize: proofs?.logSize,
          // Of record (D120): over gRPC from ghz, a client outside this process, the highest p99 of its rounds.
          // Beside it the same from a Node client in its own process, and from this process's Node client;
          // the in-process store figure is storeInclusionBundleMs.
          measured: (proofs?.grpcInclusionProofByGhz as { highestP99?: number } | undefined)?.highestP99,
          byNodeClientProcess: (proofs?.grpcInclusionProofByNodeClientProcess as { highestP99?: number })
            ?.highestP99,
          byThisProcessNodeClient: proofs?.grpcInclusionProofMs.p99,
        },
        pipelineP99VsKafkaP99: { goal: 3, measured: pipeline?.pipelineToBaselineP99 },
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

/**
 * BENCH_KEEP_LOG=1 keeps the proofs' log (schema bench_audit_log_kept_<size>) for the next run, =0 drops it;
 * unset, a log of 1,000,000 records or more is kept (building 10,000,000 takes many minutes), a smaller one not.
 */
const KEEP_LOG = (process.env['BENCH_KEEP_LOG'] ?? (LOG_SIZE >= 1_000_000 ? '1' : '0')) === '1';
/** Which parts run (comma-separated: ingest, proofs, pipeline); all by default. */
const PARTS = new Set((process.env['BENCH_PARTS'] ?? 'ingest,proofs,pipeline').split(','));
const LOG_TENANT = 'bench-log';

type KeptLogCheck =
  | {
      reusable: true;
      root: Buffer;
      sample: { index: number; leaf: Buffer }[];
      manifest: Record<string, unknown>;
    }
  | { reusable: false; reason: string };

/**
 * A kept log is reused only if it is whole: its manifest (written after the build finished) names this
 * size; the tree row's right edge folds to the manifest's root; the root folded from the stored subtrees
 * is the same; and 50 records spread over the log recompute their stored leaf hashes and prove into it.
 */
async function checkKeptLog(pool: Pool, schema: string, size: number): Promise<KeptLogCheck> {
  const exists = await pool.query(
    `SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'bench_log_manifest'`,
    [schema],
  );
  if (exists.rowCount === 0) return { reusable: false, reason: 'no kept log (or its build did not finish)' };
  const {
    rows: [manifest],
  } = await pool.query<{ log_size: string; root_hash: Buffer; details: Record<string, unknown> }>(
    `SELECT log_size, root_hash, details FROM "${schema}".bench_log_manifest`,
  );
  if (!manifest || Number(manifest.log_size) !== size)
    return { reusable: false, reason: `the kept manifest is for ${manifest?.log_size ?? 'no'} records` };
  const reader = new AuditLogReader(pool, schema);
  const tree = await reader.tree(LOG_TENANT);
  if (!tree || tree.size !== size || !rootOfFrontier(tree.frontier).equals(manifest.root_hash))
    return { reusable: false, reason: "the tree row's size or right edge is not the manifest's" };
  try {
    const { secondRoot } = await reader.consistencyProof(LOG_TENANT, tree, 1, size);
    if (!secondRoot.equals(manifest.root_hash))
      return { reusable: false, reason: 'the stored subtrees fold to another root' };
    const sample: { index: number; leaf: Buffer }[] = [];
    for (let k = 0; k < 50; k++) {
      const index = Math.floor((k * (size - 1)) / 49);
      const row = await reader.record(LOG_TENANT, { leafIndex: index });
      const leaf = row && leafHash(leafBytesOfRow(row));
      if (!row || !leaf!.equals(row.leaf_hash!))
        return { reusable: false, reason: `record ${index} is missing or does not hash to its leaf` };
      const path = await reader.inclusionProof(LOG_TENANT, tree, index, size);
      if (!verifyInclusion(index, size, leaf!, path, manifest.root_hash))
        return { reusable: false, reason: `record ${index} does not prove into the root` };
      sample.push({ index, leaf: leaf! });
    }
    return { reusable: true, root: manifest.root_hash, sample, manifest: manifest.details };
  } catch (error) {
    // An UNLOGGED table is emptied by a crash restart: then nodes or records are missing.
    return { reusable: false, reason: (error as Error).message };
  }
}

/**
 * The log the proofs are measured on: a kept one (BENCH_KEEP_LOG=1, schema bench_audit_log_kept_<size>)
 * when whole, else built now — records and every closed subtree computed by worker threads, each COPYing
 * into UNLOGGED tables without indexes, the service's indexes built afterwards, then VACUUM ANALYZE.
 */
async function preparedLog(context: BenchContext, pool: Pool, run: string, schemas: string[]) {
  const schema = KEEP_LOG ? `bench_audit_log_kept_${LOG_SIZE}` : `bench_audit_log_${run}`;
  if (!KEEP_LOG) schemas.push(schema);
  const kept = KEEP_LOG ? await checkKeptLog(pool, schema, LOG_SIZE) : undefined;
  if (kept?.reusable)
    return {
      schema,
      size: LOG_SIZE,
      root: kept.root,
      sample: kept.sample,
      log: { keptAs: schema, reused: true, builtBefore: kept.manifest },
    };
  const s = `"${schema}"`;
  await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  const t0 = performance.now();
  const loadAtBuild = loadavg().map(round);
  await createAuditRecordsTable(pool, schema);
  // Load without indexes (built after) and without WAL: this is the benchmark's fixture, not the service.
  await pool.query(
    `ALTER TABLE ${s}.audit_records DROP CONSTRAINT audit_records_pkey, DROP CONSTRAINT audit_records_event_id_key`,
  );
  await pool.query(
    `DROP INDEX ${s}.audit_records_tenant, ${s}.audit_records_leaf, ${s}.audit_records_unplaced`,
  );
  await pool.query(`ALTER TABLE ${s}.merkle_nodes DROP CONSTRAINT merkle_nodes_pkey`);
  await pool.query(`ALTER TABLE ${s}.audit_records SET UNLOGGED`);
  await pool.query(`ALTER TABLE ${s}.merkle_nodes SET UNLOGGED`);
  const {
    rows: [tree],
  } = await pool.query<{ tree_id: number }>(
    `INSERT INTO ${s}.merkle_trees (tenant_id) VALUES ($1) RETURNING tree_id`,
    [LOG_TENANT],
  );
  const built = await buildAuditLog(pool, context.postgresUrl, schema, tree!.tree_id, LOG_TENANT, LOG_SIZE);
  const loadedSeconds = (performance.now() - t0) / 1000;
  await pool.query(`UPDATE ${s}.merkle_trees SET size = $2, frontier = $3 WHERE tree_id = $1`, [
    tree!.tree_id,
    built.size,
    Buffer.concat(built.frontier),
  ]);
  const t1 = performance.now();
  // The service's own indexes (and the reports' ones), built once over the loaded rows, two at a time:
  // CREATE … IF NOT EXISTS at the service's start then finds them all.
  const session = async (work: (c: PoolClient) => Promise<void>) => {
    const c = await pool.connect();
    try {
      await c.query(`SET maintenance_work_mem = '512MB'`);
      await work(c);
    } finally {
      c.release();
    }
  };
  await Promise.all([
    session(async (c) => {
      await c.query(`ALTER TABLE ${s}.merkle_nodes ADD PRIMARY KEY (tree_id, level, idx)`);
      await c.query(`ALTER TABLE ${s}.audit_records ADD PRIMARY KEY (seq)`);
    }),
    session(async (c) => {
      await c.query(`CREATE UNIQUE INDEX audit_records_leaf ON ${s}.audit_records (tenant_id, leaf_index)`);
      await c.query(`ALTER TABLE ${s}.audit_records ADD UNIQUE (event_id)`);
      await c.query(`CREATE INDEX audit_records_tenant ON ${s}.audit_records (tenant_id, seq)`);
    }),
  ]);
  await createAuditRecordsTable(pool, schema);
  await new ReportStore(pool, schema).ensureIndexes();
  const indexedSeconds = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  // Hint bits and the visibility map set once here, not by the first proofs that read each page.
  await pool.query(`VACUUM (ANALYZE) ${s}.audit_records`);
  await pool.query(`VACUUM (ANALYZE) ${s}.merkle_nodes`);
  const vacuumSeconds = (performance.now() - t2) / 1000;
  const details = {
    builtAt: new Date().toISOString(),
    workers: built.workers,
    chunkLeaves: 2 ** CHUNK_LEVEL,
    seconds: {
      generateAndCopy: round(loadedSeconds),
      indexes: round(indexedSeconds),
      vacuumAnalyze: round(vacuumSeconds),
    },
    recordsPerSecond: round(LOG_SIZE / loadedSeconds),
    loadAverage: { atStart: loadAtBuild, atEnd: loadavg().map(round) },
  };
  if (KEEP_LOG) {
    await pool.query(
      `CREATE TABLE ${s}.bench_log_manifest (log_size bigint NOT NULL, root_hash bytea NOT NULL, details jsonb NOT NULL)`,
    );
    await pool.query(`INSERT INTO ${s}.bench_log_manifest VALUES ($1, $2, $3)`, [
      LOG_SIZE,
      built.root,
      JSON.stringify(details),
    ]);
  }
  return {
    schema,
    size: built.size,
    root: built.root,
    sample: built.sample,
    log: {
      ...(KEEP_LOG ? { keptAs: schema, reuseRefused: kept && !kept.reusable ? kept.reason : undefined } : {}),
      reused: false,
      built: details,
    },
  };
}

/**
 * Reads what a proof touches into the OS page cache first (pg_prewarm 'read'; BENCH_PREWARM=0 skips it): the
 * subtrees, their key, the leaf index and the records. This machine's page cache does not keep a log built or
 * read minutes earlier (12-02: 3 GB cached of 23 GB with 19 free), and a cold 4 GB record heap put the bare
 * primary-key read at p99 39–44 ms; both the proofs and that baseline then measure the disk. Reported in the JSON.
 */
async function warmProofRelations(pool: Pool, schema: string) {
  if (process.env['BENCH_PREWARM'] === '0') return { status: 'not warmed (BENCH_PREWARM=0)' };
  const relations = ['merkle_nodes', 'merkle_nodes_pkey', 'audit_records_leaf', 'audit_records'];
  const started = performance.now();
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
    const blocks: Record<string, number> = {};
    for (const relation of relations) {
      const { rows } = await pool.query<{ blocks: string }>(
        `SELECT pg_prewarm($1::regclass, 'read') AS blocks`,
        [`"${schema}".${relation}`],
      );
      blocks[relation] = Number(rows[0]!.blocks);
    }
    return {
      mode: "pg_prewarm 'read' (OS page cache)",
      blocks,
      seconds: round((performance.now() - started) / 1000),
    };
  } catch (error) {
    return { status: `not warmed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

async function proofBench(context: BenchContext, pool: Pool, run: string, schemas: string[]) {
  const tenantId = LOG_TENANT;
  const { schema, size, root, sample, log } = await preparedLog(context, pool, run, schemas);
  const s = `"${schema}"`;
  const warmed = await warmProofRelations(pool, schema);
  const loadAtProofs = loadavg().map(round);

  // In-process (the store alone), then over gRPC to a service process, beside a bare primary-key read.
  const reader = new AuditLogReader(pool, schema);
  const treeRow = (await reader.tree(tenantId))!;
  const randomLeaf = () => Math.floor(Math.random() * size);
  const storeMs: number[] = [];
  const bundleMs: number[] = [];
  const pkMs: number[] = [];
  let pathLength = 0;
  for (let i = 0; i < PROOFS; i++) {
    const leaf = randomLeaf();
    let t = performance.now();
    const path = await reader.inclusionProof(tenantId, treeRow, leaf, size);
    storeMs.push(performance.now() - t);
    pathLength = Math.max(pathLength, path.length);
    t = performance.now();
    // What GetInclusionProof runs: tree, head, record and path in one prepared statement.
    const bundle = await reader.inclusionBundle(tenantId, { leafIndex: randomLeaf() }, size);
    await bundle.proofFor(size);
    bundleMs.push(performance.now() - t);
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
  const profileDir = process.env['BENCH_SERVICE_CPU_PROF'];
  const service = await startServiceProcess(
    'audit-service',
    {
      DATABASE_URL: context.postgresUrl,
      DATABASE_SCHEMA: schema,
      GRPC_PORT: String(port),
      AUDIT_TREE_HEAD_INTERVAL_MS: '3600000',
      // A CPU profile of the service while it answers (written when it stops), to see where a proof goes.
      ...(profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` } : {}),
    },
    600_000,
  );
  const grpcMs: number[] = [];
  const consistencyMs: number[] = [];
  // The service's own access-log durations of the measured GetInclusionProof calls: the server's share.
  let handler: ReturnType<typeof accessLogDurations> | undefined;
  let ghzProofs: Record<string, unknown> = {};
  let nodeProcessProofs: Record<string, unknown> = {};
  let floors: FloorServers | undefined;
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
    const firstLine = service.lines.length;
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
    handler = accessLogDurations(service.lines, firstLine, 'GetInclusionProof');
    for (let i = 0; i < Math.min(PROOFS, 500); i++) {
      const t = performance.now();
      await call('GetConsistencyProof', {
        firstTreeSize: String(1 + randomLeaf()),
        secondTreeSize: String(size),
      });
      consistencyMs.push(performance.now() - t);
    }
    client.close();
    // The same proofs asked from outside this process, in rounds that alternate two clients, each one call at
    // a time: ghz (a Go client) and a @grpc/grpc-js client in a process of its own. The Node client above
    // shares its event loop and heap with the bench, which also parses the service's log meanwhile; these
    // two do not, and their difference is the client's own cost on the same two CPUs (D120).
    const bin = ghzBinary();
    const authorization = metadata.get('authorization')[0]!.toString();
    const requests = () =>
      Array.from({ length: Math.min(PROOFS, 5_000) }, () => ({ leafIndex: String(randomLeaf()) }));
    const ghzRounds: Record<string, unknown>[] = [];
    const nodeRounds: Record<string, unknown>[] = [];
    // What a call costs without the proof, by the same ghz in the same rounds: the service's own no-op
    // (GetServiceInfo through the whole edge) and the two floors (a bare grpc-js server, a bare node:http2
    // responder, each its own process): the runtime's and the transport's share of a proof's p99.
    // Every process left to the kernel on all CPUs (the floors too: FloorServers moves them to the
    // placement's server CPUs), ghz with one Go scheduler thread, as the proofs' ghz runs before D120.
    const n = cpus().length;
    const shared: Placement = {
      name: 'shared',
      pinned: false,
      serverCpus: `0-${n - 1}`,
      loadGeneratorCpus: `0-${n - 1}`,
      ghzCpus: 1,
    };
    floors = bin ? await FloorServers.start(bin, 0, 500) : undefined;
    const withoutProof: Record<string, number[]> = {};
    for (let r = 0; r < PROOF_ROUNDS; r++) {
      if (bin && floors) {
        const sides = {
          ...floors.sides(bin, shared, 0, PROOFS),
          serviceGetServiceInfo: () =>
            ghz(
              bin,
              {
                address: `127.0.0.1:${port}`,
                protoFile: 'tagguard/runtime/v1/service_info.proto',
                call: 'tagguard.runtime.v1.ServiceInfoService/GetServiceInfo',
                data: [{}],
                authorization,
                rate: 0,
                total: PROOFS,
              },
              shared,
            ),
        };
        for (const [name, side] of Object.entries(sides))
          (withoutProof[name] ??= []).push((await side()).latencyMs.p99);
      }
      if (bin) {
        const from = service.lines.length;
        const run = await ghz(
          bin,
          {
            address: `127.0.0.1:${port}`,
            protoFile: 'tagguard/audit/v1/audit_service.proto',
            call: 'tagguard.audit.v1.AuditService.GetInclusionProof',
            data: requests(),
            authorization,
            rate: 0,
            total: PROOFS,
          },
          shared,
        );
        ghzRounds.push({
          ...run,
          handlerMsFromAccessLog: accessLogDurations(service.lines, from, 'GetInclusionProof'),
        });
      }
      const from = service.lines.length;
      const run = await nodeClosedLoop({
        address: `127.0.0.1:${port}`,
        protoFile: 'tagguard/audit/v1/audit_service.proto',
        service: ['tagguard', 'audit', 'v1', 'AuditService'],
        method: 'GetInclusionProof',
        authorization,
        warmUp: 100,
        requests: Array.from({ length: PROOFS }, () => ({ leafIndex: String(randomLeaf()) })),
      });
      nodeRounds.push({
        ...run,
        handlerMsFromAccessLog: accessLogDurations(service.lines, from + 100, 'GetInclusionProof'),
      });
    }
    const p99s = (rounds: Record<string, unknown>[]) =>
      rounds.map((r) => (r['latencyMs'] as { p99: number }).p99);
    ghzProofs = bin
      ? {
          client: `ghz ${GHZ_VERSION}, closed loop (one call at a time)`,
          p99PerRound: p99s(ghzRounds),
          highestP99: Math.max(...p99s(ghzRounds)),
          rounds: ghzRounds,
          // The same ghz, closed loop, in the same rounds (each round runs these first), per round.
          withoutProofP99PerRound: withoutProof,
        }
      : { status: `not measured: no ghz binary (go install github.com/bojand/ghz/cmd/ghz@${GHZ_VERSION})` };
    nodeProcessProofs = {
      client: `@grpc/grpc-js in its own Node ${process.version} process, closed loop (one call at a time)`,
      p99PerRound: p99s(nodeRounds),
      highestP99: Math.max(...p99s(nodeRounds)),
      rounds: nodeRounds,
    };
  } finally {
    floors?.close();
    await service.stop('SIGTERM');
  }
  return {
    description:
      'a log of logSize records for one tenant (built by worker threads with COPY into UNLOGGED tables, indexed after the load; or a kept one, checked whole); inclusion proofs for random leaves in-process and over gRPC (GetInclusionProof), beside a bare primary-key read of one leaf',
    logSize: size,
    log,
    // The machine while the proofs below were measured (the build's own load is in log.built).
    loadAverage: { atStart: loadAtProofs, atEnd: loadavg().map(round) },
    warmedBeforeProofs: warmed,
    proofsMeasured: PROOFS,
    auditPathLength: pathLength,
    storeInclusionProofMs: percentiles(storeMs),
    storeInclusionBundleMs: percentiles(bundleMs),
    grpcInclusionProofMs: percentiles(grpcMs),
    grpcInclusionProofHandlerMsFromAccessLog: handler,
    grpcInclusionProofByGhz: ghzProofs,
    grpcInclusionProofByNodeClientProcess: nodeProcessProofs,
    grpcConsistencyProofMs: percentiles(consistencyMs),
    baselinePrimaryKeyReadMs: percentiles(pkMs),
  };
}
