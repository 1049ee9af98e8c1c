import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { PostgresEventStore } from '@tagguard/event-store';
import { measureInterleaved, round } from './measure';
import type { BenchContext } from './registry';

const TOTAL = Number(process.env['BENCH_EVENTS'] ?? 20_000);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 8);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 20);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 1_000);

const metadata = () => ({
  tenantId: 'tenant-a',
  actorId: 'user-1',
  correlationId: randomUUID(),
  occurredAt: new Date().toISOString(),
});
const data = (i: number) => ({
  tagId: `tag-${i}`,
  name: `VIP客户-${i}`,
  groupId: 'group-1',
  kind: 'customer',
});
// Warm-up operations run with negative indexes; they get streams of their own.
const stream = (i: number) => (i < 0 ? `warm-${-i}` : `tag-${i}`);

/**
 * (a) Event append throughput: PostgresEventStore.append (one event per append to its own stream, with
 * the optimistic check, idempotent ids and subscription wake-ups) vs plain single-row INSERTs of the
 * same payload into a plain table of the same database. Fair by construction: both sides run named
 * prepared statements over pools of the same size at the same concurrency, both are warmed, and they
 * take turns in rounds (measureInterleaved), so load from elsewhere on the machine hits both alike.
 */
export async function eventAppend({ postgresUrl }: BenchContext) {
  const schema = `bench_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  const store = await PostgresEventStore.connect({
    connectionString: postgresUrl,
    schema,
    poolSize: CONCURRENCY,
  });
  const pool = new Pool({ connectionString: postgresUrl, max: CONCURRENCY });
  try {
    await pool.query(`CREATE TABLE "${schema}".plain_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, event_id uuid NOT NULL UNIQUE, stream_id text NOT NULL,
      event_type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())`);
    const insert = `INSERT INTO "${schema}".plain_events (event_id, stream_id, event_type, data, metadata) VALUES ($1, $2, $3, $4, $5)`;

    const { adapter, baselinePlainInsert } = await measureInterleaved(
      {
        baselinePlainInsert: async (i) => {
          await pool.query({
            name: 'bench.plain_insert',
            text: insert,
            values: [
              randomUUID(),
              stream(i),
              'TagCreated',
              JSON.stringify(data(i)),
              JSON.stringify(metadata()),
            ],
          });
        },
        adapter: async (i) => {
          await store.append(
            stream(i),
            [{ id: randomUUID(), type: 'TagCreated', schemaVersion: 1, data: data(i), metadata: metadata() }],
            'no_stream',
          );
        },
      },
      { total: TOTAL, rounds: ROUNDS, warmup: WARMUP, concurrency: CONCURRENCY },
    );
    const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
    return {
      description:
        'single-event appends to distinct streams vs plain single-row INSERTs, same DB, pool size and concurrency; both prepared, warmed, interleaved',
      postgres: rows[0]!.server_version,
      rounds: ROUNDS,
      warmupPerSide: WARMUP,
      adapter,
      baselinePlainInsert,
      adapterToBaselineRatio: round(adapter.opsPerSecond / baselinePlainInsert.opsPerSecond),
      roundRatios: adapter.roundOpsPerSecond.map((a, r) =>
        round(a / baselinePlainInsert.roundOpsPerSecond[r]!),
      ),
    };
  } finally {
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
    await store.close();
  }
}
