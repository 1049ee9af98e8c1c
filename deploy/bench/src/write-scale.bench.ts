import { createHash, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { PostgresEventStore } from '@tagguard/event-store';
import { PostgresCheckpointStore } from '@tagguard/messaging';
import { freePort, startServiceProcess, type ServiceProcess } from '@tagguard/testing';
import { percentiles, round } from './measure';
import type { BenchContext } from './registry';
import { TagServiceClient } from './tag-service-client';

const EVENTS = Number(process.env['BENCH_WRITE_SCALE_EVENTS'] ?? 1_000_000);
const TAGS = Number(process.env['BENCH_WRITE_SCALE_TAGS'] ?? 10_000);
const OPS = Number(process.env['BENCH_WRITE_SCALE_OPS'] ?? 200);
const COLD_STARTS = Number(process.env['BENCH_WRITE_SCALE_COLD_STARTS'] ?? 3);
const BLOCK = 20;
/** Every subscription of tag-service: put at the head so that none replays the bulk-inserted history. */
const SUBSCRIPTIONS = [
  'tag-service.catalog-view',
  'tag-service.follow-up',
  'tag-service.revert',
  'tag-service.snapshots',
];

/**
 * The write side's cost against history (issue 10 item 6): CreateTag and AddMembers latency over gRPC,
 * and tag-service's cold start (process spawned → first write answered), on a tenant with TAGS tags and
 * EVENTS events of history vs a fresh tenant, in the same run and the same process, interleaved in
 * blocks. The history is bulk-inserted straight into the event store (valid tag-service events: the
 * catalogue creates the tags, each tag's stream adds customers), and the subscriptions' checkpoints are
 * put at its head so the projection does not replay it during the measurement.
 */
export async function writeScale({ postgresUrl }: BenchContext) {
  const run = randomUUID().replace(/-/g, '').slice(0, 8);
  const es = `bench_ws_es_${run}`;
  const rm = `bench_ws_rm_${run}`;
  const big = `big-${run}`;
  const pool = new Pool({ connectionString: postgresUrl, max: 4 });
  const store = await PostgresEventStore.connect({
    connectionString: postgresUrl,
    schema: es,
    listen: false,
  });
  let service: ServiceProcess | undefined;
  const clients: TagServiceClient[] = [];
  try {
    const generated = await generate(pool, es, big);
    const checkpoints = await PostgresCheckpointStore.create(pool, rm);
    const head = await store.headPosition();
    for (const name of SUBSCRIPTIONS) await checkpoints.save(name, head);

    const port = await freePort();
    const env = {
      GRPC_PORT: String(port),
      DATABASE_URL: postgresUrl,
      DATABASE_SCHEMA: rm,
      EVENTSTORE_SCHEMA: es,
    };
    const start = async () => {
      const spawned = process.hrtime.bigint();
      service = await startServiceProcess('tag-service', env, 120_000);
      return { spawned, readyMs: ms(spawned) };
    };
    const client = (tenant: string) => {
      const c = new TagServiceClient(`127.0.0.1:${port}`, tenant);
      clients.push(c);
      return c;
    };
    const createTag = (c: TagServiceClient) =>
      c.unary('TagService', 'CreateTag', {
        tagId: randomUUID(),
        name: `n-${randomUUID().slice(0, 24)}`,
        kind: 'TAG_KIND_CUSTOMER',
      });

    // First start on this history: no write-side snapshot yet, so the first write replays the catalogue
    // (what every cold start cost before snapshots); it leaves the snapshot later starts read.
    const first = await start();
    const withoutSnapshot = await timed(() => createTag(client(big)));
    await service!.stop('SIGTERM');

    const coldStarts = { history: [] as Record<string, number>[], fresh: [] as Record<string, number>[] };
    for (let i = 0; i < COLD_STARTS; i++)
      for (const kind of ['history', 'fresh'] as const) {
        const started = await start();
        const c = client(kind === 'history' ? big : `fresh-${run}-${i}`);
        await createTag(c);
        const answered = ms(started.spawned);
        coldStarts[kind].push({
          readyMs: started.readyMs,
          firstWriteAnsweredMs: answered,
          firstWriteAfterReadyMs: round(answered - started.readyMs),
        });
        await service!.stop('SIGTERM');
      }

    await start();
    const bigClient = client(big);
    const freshClient = client(`fresh-${run}`);
    const freshTags: string[] = [];
    for (let i = 0; i < 50; i++) {
      const tagId = randomUUID();
      await freshClient.unary('TagService', 'CreateTag', {
        tagId,
        name: `f-${i}`,
        kind: 'TAG_KIND_CUSTOMER',
      });
      freshTags.push(tagId);
    }
    const historyTag = (i: number) => uuidOf(`${big}:${(i * 7919) % TAGS}`);
    const latencies = {
      createTag: { history: [] as number[], fresh: [] as number[] },
      addMembers: { history: [] as number[], fresh: [] as number[] },
    };
    // Interleaved blocks, so both tenants see the same machine (2 shared cores) at the same time.
    for (let done = 0; done < OPS; done += BLOCK)
      for (const kind of ['history', 'fresh'] as const) {
        const c = kind === 'history' ? bigClient : freshClient;
        for (let i = done; i < Math.min(OPS, done + BLOCK); i++) {
          latencies.createTag[kind].push(await timed(() => createTag(c)));
          const tagId = kind === 'history' ? historyTag(i) : freshTags[i % freshTags.length]!;
          latencies.addMembers[kind].push(
            await timed(() =>
              c.unary('TagMemberService', 'AddMembers', {
                tagId,
                members: [{ kind: 'MEMBER_KIND_CUSTOMER', id: `bench-${i}` }],
                idempotencyKey: `add-${kind}-${i}`,
              }),
            ),
          );
        }
      }
    const summary = (values: number[]) => percentiles(values);
    const ratio = (op: 'createTag' | 'addMembers') =>
      round(summary(latencies[op].history).p99 / summary(latencies[op].fresh).p99);
    const coldMax = Math.max(...coldStarts.history.map((c) => c.firstWriteAnsweredMs!));
    return {
      description:
        'CreateTag / AddMembers latency over gRPC and tag-service cold start (spawn → first write answered) on a tenant with history vs a fresh tenant, same run, interleaved',
      history: {
        tags: TAGS,
        events: generated.events,
        catalogueEvents: TAGS,
        membersEventsPerTag: generated.perTag,
        bulkInsertSeconds: generated.seconds,
      },
      operationsPerTenant: OPS,
      latencyMs: {
        createTag: {
          history: summary(latencies.createTag.history),
          fresh: summary(latencies.createTag.fresh),
        },
        addMembers: {
          history: summary(latencies.addMembers.history),
          fresh: summary(latencies.addMembers.fresh),
        },
      },
      p99HistoryToFresh: { createTag: ratio('createTag'), addMembers: ratio('addMembers') },
      coldStartMs: coldStarts,
      firstStartWithoutSnapshot: { readyMs: first.readyMs, firstWriteMs: round(withoutSnapshot) },
      goal: 'p99 within 2× of the fresh tenant; cold start under 5 s',
      met: {
        p99: ratio('createTag') <= 2 && ratio('addMembers') <= 2,
        coldStart: coldMax < 5_000,
      },
    };
  } finally {
    for (const c of clients) c.close();
    await service?.stop('SIGTERM').catch(() => undefined);
    await store.close();
    for (const s of [es, rm]) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

const ms = (from: bigint) => round(Number(process.hrtime.bigint() - from) / 1e6);

async function timed(op: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await op();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** The same uuid PostgreSQL's md5(text)::uuid gives. */
function uuidOf(text: string): string {
  const hex = createHash('md5').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The tenant's catalogue creates TAGS tags; the rest of EVENTS are MembersAdded spread over the tags. */
async function generate(pool: Pool, es: string, tenant: string) {
  const started = Date.now();
  const perTag = Math.max(0, Math.floor((EVENTS - TAGS) / TAGS));
  const meta = `jsonb_build_object('tenantId', $1::text, 'actorId', 'bench', 'correlationId', gen_random_uuid()::text, 'occurredAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`;
  const tagId = `md5($1::text || ':' || t)::uuid::text`;
  await pool.query(
    `INSERT INTO "${es}".events (event_id, stream_id, category, stream_revision, event_type, schema_version, data, metadata)
     SELECT gen_random_uuid(), 'tagCatalog-' || $1, 'tagCatalog', t, 'NodeCreated', 1,
            jsonb_build_object('nodeId', ${tagId}, 'nodeType', 'tag', 'kind', 'customer', 'name', 'tag-' || t,
                               'parentId', null, 'order', t, 'description', ''), ${meta}
       FROM generate_series(0, $2::int - 1) t`,
    [tenant, TAGS],
  );
  await pool.query(
    `INSERT INTO "${es}".streams (stream_id, category, revision, deleted) VALUES ('tagCatalog-' || $1, 'tagCatalog', $2::int - 1, false)`,
    [tenant, TAGS],
  );
  // In chunks of tags, one transaction each (a single 1,000,000-row statement holds too much at once).
  const chunk = Math.max(1, Math.floor(100_000 / Math.max(1, perTag)));
  for (let from = 0; from < TAGS && perTag > 0; from += chunk) {
    const to = Math.min(TAGS, from + chunk) - 1;
    await pool.query(
      `INSERT INTO "${es}".events (event_id, stream_id, category, stream_revision, event_type, schema_version, data, metadata)
       SELECT gen_random_uuid(), 'tagMembers-' || $1 || '.' || ${tagId}, 'tagMembers', r, 'MembersAdded', 1,
              jsonb_build_object('tagId', ${tagId}, 'members', jsonb_build_array(jsonb_build_object('kind', 'customer', 'id', 'c' || r)),
                                 'actorRoles', '["tenant_admin"]'::jsonb, 'source', 'api'), ${meta}
         FROM generate_series($2::int, $3::int) t, generate_series(0, $4::int - 1) r`,
      [tenant, from, to, perTag],
    );
    await pool.query(
      `INSERT INTO "${es}".streams (stream_id, category, revision, deleted)
       SELECT 'tagMembers-' || $1 || '.' || ${tagId}, 'tagMembers', $4::int - 1, false FROM generate_series($2::int, $3::int) t`,
      [tenant, from, to, perTag],
    );
    process.stderr.write(`[write-scale] history: tags ${to + 1}/${TAGS}\n`);
  }
  await pool.query(`ANALYZE "${es}".events`);
  await pool.query(`ANALYZE "${es}".streams`);
  return { events: TAGS + perTag * TAGS, perTag, seconds: round((Date.now() - started) / 1000) };
}
