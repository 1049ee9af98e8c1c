import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { PostgresEventStore, type EventStore, type RecordedEvent } from '@tagguard/event-store';
import { ComponentRegistry } from '@tagguard/telemetry';
import { eventually, testInfra } from '@tagguard/testing';
import { FencedError, PostgresCheckpointStore } from './checkpoint-store';
import { CheckpointedSubscriber } from './checkpointed-subscriber';
import { PostgresParkedEvents } from './parked-events';

const id = () => randomUUID().replace(/-/g, '').slice(0, 10);
const event = (type: string) => ({
  id: randomUUID(),
  type,
  schemaVersion: 1,
  data: {},
  metadata: {
    tenantId: 'tenant-a',
    actorId: 'user-1',
    correlationId: randomUUID(),
    occurredAt: new Date().toISOString(),
  },
});

describe('CheckpointedSubscriber: retries, parks, reports (real PostgreSQL)', () => {
  const { postgresUrl } = testInfra();
  const schema = `sub_${id()}`;
  let pool: Pool;
  let store: PostgresEventStore;
  let checkpoints: PostgresCheckpointStore;
  let parking: PostgresParkedEvents;

  beforeAll(async () => {
    pool = new Pool({ connectionString: postgresUrl });
    store = await PostgresEventStore.connect({ connectionString: postgresUrl, schema, pollIntervalMs: 50 });
    checkpoints = await PostgresCheckpointStore.create(pool, schema);
    parking = await PostgresParkedEvents.create(pool, schema);
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
  });

  async function appendAll(category: string, types: string[]): Promise<void> {
    for (const [i, type] of types.entries())
      await store.append(`${category}-s${i}`, [event(type)], 'no_stream');
  }

  it('retries a flaky batch, parks the one event that keeps failing with its reason, and handles the rest', async () => {
    const category = `c${id()}`;
    await appendAll(category, ['Good', 'Good', 'Poison', 'Good', 'Good']);
    const registry = new ComponentRegistry();
    const component = registry.register({ name: `${schema}.flaky`, kind: 'process' });
    const handled: string[] = [];
    let calls = 0;
    const subscriber = new CheckpointedSubscriber({
      name: `${schema}.flaky`,
      store,
      filter: { categories: [category] },
      checkpoints,
      parking,
      component,
      retry: { maxAttempts: 3, backoffMs: 5 },
      handle: async (events: RecordedEvent[]) => {
        // The first call fails as a passing outage would; the poison event fails every time.
        if (calls++ === 0) throw new Error('connection reset');
        if (events.some((e) => e.type === 'Poison')) throw new Error('cannot apply Poison');
        handled.push(...events.map((e) => e.streamId));
        await checkpoints.save(`${schema}.flaky`, events[events.length - 1]!.position);
      },
    });
    await subscriber.start();
    try {
      await eventually(() => expect(handled).toHaveLength(4), 10_000);
      expect(new Set(handled)).toEqual(new Set([0, 1, 3, 4].map((i) => `${category}-s${i}`)));
      await eventually(async () => expect(await parking.list(`${schema}.flaky`)).toHaveLength(1), 5_000);
      const [parked] = await parking.list(`${schema}.flaky`);
      expect(parked).toMatchObject({
        type: 'Poison',
        streamId: `${category}-s2`,
        reason: 'cannot apply Poison',
      });
      expect(component.status()).toMatchObject({ state: 'running', parked: 1 });
      expect(component.status().retries).toBeGreaterThanOrEqual(3);
      // Caught up: the checkpoint is past the parked event, so a restart does not stumble on it again.
      expect(await subscriber.lag()).toEqual({ events: 0, seconds: 0 });
    } finally {
      await subscriber.stop();
    }
    expect(component.status().state).toBe('stopped');
  });

  it('never parks an event while the database is unavailable, however long the outage lasts', async () => {
    const category = `c${id()}`;
    await appendAll(category, ['Good', 'Good']);
    const handled: string[] = [];
    let outageCalls = 12; // far beyond maxAttempts, for the batch and then for each event alone
    const subscriber = new CheckpointedSubscriber({
      name: `${schema}.outage`,
      store,
      filter: { categories: [category] },
      checkpoints,
      parking,
      retry: { maxAttempts: 2, backoffMs: 1, maxBackoffMs: 5 },
      handle: async (events: RecordedEvent[]) => {
        if (outageCalls-- > 0)
          throw Object.assign(new Error('terminating connection due to administrator command'), {
            code: '57P01',
          });
        handled.push(...events.map((e) => e.streamId));
        await checkpoints.save(`${schema}.outage`, events[events.length - 1]!.position);
      },
    });
    await subscriber.start();
    try {
      await eventually(() => expect(handled).toHaveLength(2), 10_000);
      expect(await parking.list(`${schema}.outage`)).toEqual([]);
    } finally {
      await subscriber.stop();
    }
  });

  it('without parking, stops visibly as failed (health goes down), never silently', async () => {
    const category = `c${id()}`;
    await appendAll(category, ['Good', 'Poison', 'Good']);
    const registry = new ComponentRegistry();
    const component = registry.register({ name: `${schema}.strict`, kind: 'projection' });
    const subscriber = new CheckpointedSubscriber({
      name: `${schema}.strict`,
      store,
      filter: { categories: [category] },
      checkpoints,
      component,
      retry: { maxAttempts: 2, backoffMs: 5 },
      handle: async (events) => {
        if (events.some((e) => e.type === 'Poison')) throw new Error('cannot apply Poison');
        await checkpoints.save(`${schema}.strict`, events[events.length - 1]!.position);
      },
    });
    await subscriber.start();
    try {
      await eventually(() => expect(component.status().state).toBe('failed'), 10_000);
      expect(component.status().lastError).toBe('cannot apply Poison');
      expect(registry.healthy()).toBe(false);
      // Its checkpoint stays before the poison event: nothing after it was skipped.
      const [good] = await store.readAll({ filter: { categories: [category] }, maxCount: 1 });
      expect(await checkpoints.load(`${schema}.strict`)).toEqual(good!.position);
    } finally {
      await subscriber.stop();
    }
  });

  it('opens the subscription again when the store ends it by itself (a broken live stream)', async () => {
    const category = `c${id()}`;
    await appendAll(category, ['Good', 'Good', 'Good']);
    // The real store, with its first subscription breaking after a moment as a dropped connection would.
    let breaks = 1;
    const breaking: EventStore = Object.assign(Object.create(store) as EventStore, {
      subscribe: (options: Parameters<EventStore['subscribe']>[0]) => {
        const inner = store.subscribe(options);
        if (breaks-- <= 0) return inner;
        return {
          stop: () => inner.stop(),
          done: (async () => {
            await new Promise((r) => setTimeout(r, 100));
            await inner.stop();
            throw new Error('live stream closed');
          })(),
        };
      },
    });
    const registry = new ComponentRegistry();
    const component = registry.register({ name: `${schema}.reopen`, kind: 'process' });
    const seen = new Set<string>();
    const subscriber = new CheckpointedSubscriber({
      name: `${schema}.reopen`,
      store: breaking,
      filter: { categories: [category] },
      checkpoints,
      component,
      retry: { backoffMs: 5 },
      handle: async (events) => {
        for (const e of events) seen.add(e.streamId);
        await checkpoints.save(`${schema}.reopen`, events[events.length - 1]!.position);
      },
    });
    await subscriber.start();
    try {
      await eventually(() => expect(component.status().retries).toBe(1), 5_000);
      await eventually(() => expect(component.status().state).toBe('running'), 5_000);
      expect(seen.size).toBe(3);
      await store.append(`${category}-late`, [event('Good')], 'no_stream');
      await eventually(() => expect(seen.size).toBe(4), 5_000);
      expect(component.status()).toMatchObject({ lastError: 'live stream closed' });
      expect(registry.healthy()).toBe(true);
    } finally {
      await subscriber.stop();
    }
  });

  it('fences a stale writer: after a new epoch its checkpoint save fails and its transaction rolls back', async () => {
    const lease = `${schema}.lease`;
    const name = `${schema}.fenced`;
    const first = await checkpoints.nextEpoch(lease, 'instance-a');
    const stale = checkpoints.fenced(lease, () => first);
    await stale.save(name, { commit: 1n, prepare: 1n });
    const second = await checkpoints.nextEpoch(lease, 'instance-b');
    expect(second).toBe(first + 1n);

    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`CREATE TABLE IF NOT EXISTS "${schema}".effects (n int)`);
      await client.query(`INSERT INTO "${schema}".effects VALUES (1)`);
      await expect(stale.save(name, { commit: 2n, prepare: 1n }, client)).rejects.toBeInstanceOf(FencedError);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await checkpoints.load(name)).toEqual({ commit: 1n, prepare: 1n });
    await checkpoints.fenced(lease, () => second).save(name, { commit: 3n, prepare: 1n });
    expect(await checkpoints.load(name)).toEqual({ commit: 3n, prepare: 1n });
    await expect(
      checkpoints.fenced(lease, () => undefined).save(name, { commit: 4n, prepare: 1n }),
    ).rejects.toBeInstanceOf(FencedError);
  });
});
