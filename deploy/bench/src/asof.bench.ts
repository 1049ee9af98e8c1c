import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { PostgresEventStore } from '@tagguard/event-store';
import { freePort, startServiceProcess } from '@tagguard/testing';
import { percentiles, round } from './measure';
import type { BenchContext } from './registry';
import { TagServiceClient } from './tag-service-client';

const HISTORY = Number(process.env['BENCH_ASOF_HISTORY'] ?? 10_000);
const READS = Number(process.env['BENCH_ASOF_READS'] ?? 200);
const RESTORES = Number(process.env['BENCH_RESTORES'] ?? 5);

type Result = { result: { consistencyToken: string } };

/**
 * (b) GetTagAsOf of a 700-member tag with 10,000 events of history, at random past positions: p50/p99 with
 * the aggregate snapshots tag-service keeps (every 500 events), then after deleting them all (full replay).
 * (c) PlanRestore (dry run) + RestoreToPoint of a 700-member tag deleted "yesterday" (its history moved
 * 25 h into the past in the store). All over gRPC against tag-service as its own process; beside each, the
 * raw baseline of the same run: the same stream reads (and one 700-member append) straight to the store.
 */
export async function asof({ postgresUrl }: BenchContext) {
  const run = randomUUID().replace(/-/g, '').slice(0, 8);
  const es = `bench_asof_es_${run}`;
  const rm = `bench_asof_rm_${run}`;
  const pool = new Pool({ connectionString: postgresUrl });
  const port = await freePort();
  const service = await startServiceProcess(
    'tag-service',
    { GRPC_PORT: String(port), DATABASE_URL: postgresUrl, DATABASE_SCHEMA: rm, EVENTSTORE_SCHEMA: es },
    120_000,
  );
  const client = new TagServiceClient(`127.0.0.1:${port}`, `tenant-${run}`);
  const store = await PostgresEventStore.connect({
    connectionString: postgresUrl,
    schema: es,
    poolSize: 2,
    listen: false,
  });
  try {
    // A 700-member tag, then churn (one member out, one in, …) up to 10,000 events in its members stream.
    const tagId = randomUUID();
    await client.unary('TagService', 'CreateTag', { tagId, name: 'VIP客户', kind: 'TAG_KIND_CUSTOMER' });
    const tokens: string[] = [];
    const started = Date.now();
    for (let i = 0; i < HISTORY; i++) {
      const add = i < 700 || i % 2 === 1;
      const id = add ? `c${i < 700 ? i : 700 + i}` : `c${i < 1400 ? i - 700 : 700 + i - 1}`;
      const r = await client.unary<Result>('TagMemberService', add ? 'AddMembers' : 'RemoveMembers', {
        tagId,
        members: [{ kind: 'MEMBER_KIND_CUSTOMER', id }],
      });
      tokens.push(r.result.consistencyToken);
    }
    const historySeconds = (Date.now() - started) / 1000;
    // Snapshots are written by tag-service's snapshot process; wait until the last one exists.
    const stream = `tagMembers-tenant-${run}.${tagId}`;
    for (let waited = 0; ; waited += 200) {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${rm}".stream_snapshots WHERE stream_id = $1`,
        [stream],
      );
      if (rows[0]!.n >= Math.floor(HISTORY / 500) || waited > 60_000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const { rows: snaps } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${rm}".stream_snapshots WHERE stream_id = $1`,
      [stream],
    );
    // The k-th members command appended revision k of the members stream at tokens[k].
    const indexes = Array.from({ length: READS }, (_, i) => Math.floor(((i + 0.5) / READS) * tokens.length));
    const points = indexes.map((k) => tokens[k]!);
    const read = async () => {
      const latencies: number[] = [];
      let members = 0;
      for (const position of points) {
        const t = process.hrtime.bigint();
        const r = await client.unary<{ tag: { members: string[] } }>('TimeMachineService', 'GetTagAsOf', {
          tagId,
          asOf: { position },
        });
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        members = Math.max(members, r.tag.members.length);
      }
      return { reads: latencies.length, maxMembersSeen: members, latencyMs: percentiles(latencies) };
    };
    await read(); // warm-up (connection, JIT)
    const withSnapshots = await read();
    await pool.query(`DELETE FROM "${rm}".stream_snapshots`);
    const withoutSnapshots = await read();

    // Raw baseline: the same prefixes of the members stream read straight from the store, no gRPC, no fold.
    const raw: number[] = [];
    for (const k of indexes) {
      const t = process.hrtime.bigint();
      await store.readStream(stream, { toRevision: BigInt(k) });
      raw.push(Number(process.hrtime.bigint() - t) / 1e6);
    }

    const restores = await restoreRuns(client, pool, store, es, run);
    return {
      description:
        'GetTagAsOf (700-member tag, 10,000-event history) with and without snapshots; dry run + restore of a 700-member tag deleted yesterday',
      history: {
        events: HISTORY + 1,
        seconds: round(historySeconds),
        snapshotsOfTheMembersStream: snaps[0]!.n,
      },
      rawStreamPrefixRead: { reads: raw.length, latencyMs: percentiles(raw) },
      asOfWithSnapshots: withSnapshots,
      asOfWithoutSnapshots: withoutSnapshots,
      p50SpeedupFromSnapshots: round(withoutSnapshots.latencyMs.p50 / withSnapshots.latencyMs.p50),
      restoreOfDeletedTag: restores,
    };
  } finally {
    client.close();
    await store.close();
    await service.stop('SIGTERM');
    for (const s of [es, rm]) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

async function restoreRuns(
  client: TagServiceClient,
  pool: Pool,
  store: PostgresEventStore,
  es: string,
  run: string,
) {
  const plan: number[] = [];
  const restore: number[] = [];
  const rawRead: number[] = [];
  const rawAppend: number[] = [];
  for (let n = 0; n < RESTORES; n++) {
    const tenant = `restore-${run}-${n}`;
    const admin = client.as(tenant);
    const tagId = randomUUID();
    await admin.unary('TagService', 'CreateTag', { tagId, name: 'VIP客户', kind: 'TAG_KIND_CUSTOMER' });
    const members = Array.from({ length: 700 }, (_, i) => ({ kind: 'MEMBER_KIND_CUSTOMER', id: `c${i}` }));
    await admin.unary('TagMemberService', 'AddMembers', { tagId, members });
    await pool.query(
      `UPDATE "${es}".events SET recorded_at = recorded_at - interval '25 hours' WHERE stream_id = $1 OR stream_id LIKE $2`,
      [`tagCatalog-${tenant}`, `tagMembers-${tenant}.%`],
    );
    await client.as(tenant, 'intern').unary('TagService', 'DeleteTag', { tagId, expectedRevision: '0' });
    const asOf = { timestamp: new Date(Date.now() - 24 * 3_600_000).toISOString() };
    let t = Date.now();
    const dry = await admin.unary<{ changes: { change: string }[] }>('TimeMachineService', 'PlanRestore', {
      rootId: tagId,
      asOf,
    });
    plan.push(Date.now() - t);
    t = Date.now();
    const done = await admin.unary<{ changes: unknown[]; consistencyToken: string }>(
      'TimeMachineService',
      'RestoreToPoint',
      { rootId: tagId, asOf },
    );
    restore.push(Date.now() - t);
    const check = await admin.unary<{ total: number }>('TagMemberService', 'ListMembers', {
      tagId,
      consistencyToken: done.consistencyToken,
    });
    if (dry.changes[0]?.change !== 'restored' || check.total !== 700)
      throw new Error(`restore ${n} did not bring the tag back: ${JSON.stringify(dry)}`);

    // Raw baseline: read the two streams a plan folds, and append one 700-member event, straight to the store.
    t = Date.now();
    await store.readStream(`tagCatalog-${tenant}`);
    await store.readStream(`tagMembers-${tenant}.${tagId}`);
    rawRead.push(Date.now() - t);
    t = Date.now();
    await store.append(
      `benchScratch-${tenant}`,
      [
        {
          id: randomUUID(),
          type: 'MembersAdded',
          schemaVersion: 1,
          data: { tagId, members: members.map((m) => ({ kind: 'customer', id: m.id })) },
          metadata: {
            tenantId: tenant,
            actorId: 'bench',
            correlationId: randomUUID(),
            occurredAt: new Date().toISOString(),
          },
        },
      ],
      'no_stream',
    );
    rawAppend.push(Date.now() - t);
  }
  return {
    runs: RESTORES,
    members: 700,
    planMs: percentiles(plan),
    restoreMs: percentiles(restore),
    rawBaseline: {
      readBothStreamsMs: percentiles(rawRead),
      appendOne700MemberEventMs: percentiles(rawAppend),
    },
  };
}
