import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { PostgresEventStore } from '@tagguard/event-store';
import { measure, round } from './measure';
import type { BenchContext } from './registry';

const TOTAL = Number(process.env['BENCH_EVENTS'] ?? 20_000);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 8);

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

/**
 * (a) Event append throughput: PostgresEventStore.append (one event per append to its own stream, with
 * the optimistic check, idempotency pre-check and NOTIFY) vs plain single-row INSERTs of the same
 * payload into a plain table of the same database, same concurrency.
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

    const baseline = await measure(TOTAL, CONCURRENCY, async (i) => {
      await pool.query(
        `INSERT INTO "${schema}".plain_events (event_id, stream_id, event_type, data, metadata) VALUES ($1, $2, $3, $4, $5)`,
        [randomUUID(), `tag-${i}`, 'TagCreated', JSON.stringify(data(i)), JSON.stringify(metadata())],
      );
    });
    const adapter = await measure(TOTAL, CONCURRENCY, async (i) => {
      await store.append(
        `tag-${i}`,
        [{ id: randomUUID(), type: 'TagCreated', schemaVersion: 1, data: data(i), metadata: metadata() }],
        'no_stream',
      );
    });
    return {
      description:
        'single-event appends to distinct streams vs plain single-row INSERTs, same DB and concurrency',
      adapter,
      baselinePlainInsert: baseline,
      adapterToBaselineRatio: round(adapter.opsPerSecond / baseline.opsPerSecond),
    };
  } finally {
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
    await store.close();
  }
}
