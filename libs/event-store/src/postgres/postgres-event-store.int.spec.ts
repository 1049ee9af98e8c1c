import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { eventually, testInfra } from '@tagguard/testing';
import { comparePositions, type RecordedEvent } from '../envelope';
import { anEvent, eventStoreContract } from '../testing/event-store.contract';
import { PostgresEventStore } from './postgres-event-store';

const schema = () => `es_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

describe('PostgresEventStore on a real PostgreSQL server', () => {
  eventStoreContract(() =>
    PostgresEventStore.connect({ connectionString: testInfra().postgresUrl, schema: schema() }),
  );
});

describe('PostgresEventStore global order is gap-safe', () => {
  let store: PostgresEventStore;
  let schemaName: string;
  beforeAll(async () => {
    schemaName = schema();
    store = await PostgresEventStore.connect({
      connectionString: testInfra().postgresUrl,
      schema: schemaName,
      pollIntervalMs: 20,
    });
  });
  afterAll(() => store.close());

  it('never lets a subscriber pass an event whose transaction commits after a later-numbered one', async () => {
    const category = `gap${randomUUID().slice(0, 8)}`;
    const received: RecordedEvent[] = [];
    const subscription = store.subscribe({
      filter: { categories: [category] },
      onEvents: async (e) => void received.push(...e),
    });

    // A slow writer takes its sequence numbers first and commits last, as a busy service's transaction would.
    const slow = new Client({ connectionString: testInfra().postgresUrl });
    await slow.connect();
    const slowEvent = anEvent('SlowCommitted');
    await slow.query('BEGIN');
    await slow.query(
      `INSERT INTO "${schemaName}".events (event_id, stream_id, category, stream_revision, event_type, schema_version, data, metadata)
       VALUES ($1, $2, $3, 0, $4, 1, '{}', $5)`,
      [slowEvent.id, `${category}-slow`, category, slowEvent.type, JSON.stringify(slowEvent.metadata)],
    );

    // Meanwhile twenty fast writers append and commit, concurrently.
    const fast = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.append(`${category}-fast${i}`, [anEvent('FastCommitted')], 'no_stream'),
      ),
    );
    await new Promise((r) => setTimeout(r, 200));
    // While the slow transaction is open, nothing after it is visible: delivering the fast events now
    // would move the subscriber's checkpoint past the slow one's position.
    expect(received).toEqual([]);

    await slow.query('COMMIT');
    await slow.end();

    await eventually(() => expect(received).toHaveLength(21), 10_000);
    expect(received.map((e) => e.id)).toContain(slowEvent.id);
    expect(new Set(received.map((e) => e.id)).size).toBe(21);
    for (let i = 1; i < received.length; i++)
      expect(comparePositions(received[i - 1]!.position, received[i]!.position)).toBe(-1);

    // The scenario really happened: the slow event holds a lower sequence number than fast ones that committed first.
    const slowPrepare = received.find((e) => e.id === slowEvent.id)!.position.prepare;
    expect(fast.some((f) => f.position.prepare > slowPrepare)).toBe(true);
    await subscription.stop();
  });

  it('keeps delivering everything exactly once under concurrent writers across many streams', async () => {
    const category = `load${randomUUID().slice(0, 8)}`;
    const received: RecordedEvent[] = [];
    const subscription = store.subscribe({
      filter: { categories: [category] },
      onEvents: async (e) => void received.push(...e),
      batchSize: 37,
    });
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 25; i++)
        await store.append(
          `${category}-w${w}`,
          [anEvent(), anEvent()],
          i === 0 ? 'no_stream' : BigInt(i * 2 - 1),
        );
    });
    await Promise.all(writers);
    await eventually(() => expect(received.length).toBeGreaterThanOrEqual(400), 15_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toHaveLength(400);
    expect(new Set(received.map((e) => e.id)).size).toBe(400);
    for (let i = 1; i < received.length; i++)
      expect(comparePositions(received[i - 1]!.position, received[i]!.position)).toBe(-1);
    await subscription.stop();
  });

  it('orders transaction ids numerically across a change in digit count (999 before 1000)', async () => {
    // Written with explicit, long-finished transaction ids; a text sort would put "100" before "99".
    const category = `digits${randomUUID().slice(0, 8)}`;
    const client = new Client({ connectionString: testInfra().postgresUrl });
    await client.connect();
    const [a, b] = [anEvent('Older'), anEvent('Newer')];
    for (const [tx, e, n] of [
      ['99', a, 0],
      ['100', b, 1],
    ] as const) {
      await client.query(
        `INSERT INTO "${schemaName}".events (transaction_id, event_id, stream_id, category, stream_revision, event_type, schema_version, data, metadata)
         VALUES ($1::text::xid8, $2, $3, $4, $5, $6, 1, '{}', '{}')`,
        [tx, e.id, `${category}-x`, category, n, e.type],
      );
    }
    await client.end();
    const read = await store.readAll({ filter: { categories: [category] } });
    expect(read.map((e) => [e.type, e.position.commit])).toEqual([
      ['Older', 99n],
      ['Newer', 100n],
    ]);
    const afterFirst = await store.readAll({ after: read[0]!.position, filter: { categories: [category] } });
    expect(afterFirst.map((e) => e.type)).toEqual(['Newer']);
  });
});

describe('PostgresEventStore wake-ups', () => {
  // Subscriptions here poll once a minute: only a wake-up can deliver within the test's few seconds.
  const slowPoll = 60_000;
  const opened: { close(): Promise<void> }[] = [];
  const connect = async (options: Partial<Parameters<typeof PostgresEventStore.connect>[0]>) => {
    const store = await PostgresEventStore.connect({ connectionString: testInfra().postgresUrl, ...options });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((o) => o.close()));
  });
  const caughtUp = async (store: PostgresEventStore, category: string, received: RecordedEvent[]) => {
    let ready = false;
    store.subscribe({
      filter: { categories: [category] },
      onEvents: async (e) => void received.push(...e),
      onCaughtUp: () => (ready = true),
    });
    await eventually(() => expect(ready).toBe(true));
  };

  it("wakes this process's subscriptions on its own appends, without LISTEN", async () => {
    const store = await connect({ schema: schema(), listen: false, pollIntervalMs: slowPoll });
    const category = `local${randomUUID().slice(0, 8)}`;
    const received: RecordedEvent[] = [];
    await caughtUp(store, category, received);
    await store.append(`${category}-1`, [anEvent()], 'no_stream');
    await eventually(() => expect(received).toHaveLength(1), 5_000);
  });

  it("wakes another process's subscriptions with one NOTIFY per window, after the appends commit", async () => {
    const schemaName = schema();
    const windowMs = 300;
    const writer = await connect({ schema: schemaName, listen: false, notifyCoalesceMs: windowMs });
    const reader = await connect({ schema: schemaName, pollIntervalMs: slowPoll });
    const notifications = new Client({ connectionString: testInfra().postgresUrl });
    await notifications.connect();
    opened.push({ close: () => notifications.end() });
    let notified = 0;
    notifications.on('notification', () => notified++);
    await notifications.query(`LISTEN ${schemaName}_appended`);
    const category = `remote${randomUUID().slice(0, 8)}`;
    const received: RecordedEvent[] = [];
    await caughtUp(reader, category, received);

    const started = Date.now();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => writer.append(`${category}-${i}`, [anEvent()], 'no_stream')),
    );
    const elapsed = Date.now() - started;

    await eventually(() => expect(received).toHaveLength(50), 10_000);
    await new Promise((r) => setTimeout(r, windowMs + 200));
    // Windows never overlap and each opens on an append: at most one per window of the appending time.
    expect(notified).toBeGreaterThanOrEqual(1);
    expect(notified).toBeLessThanOrEqual(Math.floor(elapsed / windowMs) + 1);
  });
});

describe('PostgresEventStore when the server ends an idle connection', () => {
  it('reports it through onIdleConnectionError and keeps working on a new connection (no crash)', async () => {
    const appName = `idle_${randomUUID().slice(0, 8)}`;
    const url = new URL(testInfra().postgresUrl);
    url.searchParams.set('application_name', appName);
    const broken: Error[] = [];
    const store = await PostgresEventStore.connect({
      connectionString: url.toString(),
      schema: schema(),
      listen: false,
      onIdleConnectionError: (error) => void broken.push(error),
    });
    try {
      const streamId = `idle${randomUUID().slice(0, 8)}-1`;
      await store.append(streamId, [anEvent('Before')], 'no_stream');

      const admin = new Client({ connectionString: testInfra().postgresUrl });
      await admin.connect();
      const terminate = async () =>
        (
          await admin.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE application_name = $1 AND state = 'idle'`,
            [appName],
          )
        ).rowCount ?? 0;
      try {
        await terminate();
        // Only an idle connection's end reaches the pool's error event; a busy one (a background query of
        // the store at that instant) fails its query instead: end the idle ones again until one is reported.
        await eventually(async () => {
          // None idle to end (the pool closed its idle clients, or all were busy): a read leaves one idle.
          if (broken.length === 0 && (await terminate()) === 0) await store.readStream(streamId);
          expect(broken.length).toBeGreaterThan(0);
        });
      } finally {
        await admin.end();
      }
      await store.append(streamId, [anEvent('After')], 0n);
      const events = await store.readStream(streamId);
      expect(events.map((e) => e.type)).toEqual(['Before', 'After']);
    } finally {
      await store.close();
    }
  });
});
