import { randomUUID } from 'node:crypto';
import { PostgresEventStore, type EventStore } from '@tagguard/event-store';
import { ComponentRegistry } from '@tagguard/telemetry';
import { eventually, testInfra } from '@tagguard/testing';
import { Pool } from 'pg';
import { table } from '../timers/sql';
import { ReadModelFeed } from './read-model-feed';

// A feed that fails a batch once it is running (a dropped connection, a deadlock) reopens after what it had
// applied, with backoff shown on its component, instead of ending: a dead feed would leave every
// read-your-write waiting its full timeout and no timer armed.
describe('read-model feed: a failed batch after the start is retried, not the end of the feed', () => {
  const pool = new Pool({ connectionString: testInfra().postgresUrl });
  let schema: string;
  let events: EventStore;
  let feed: ReadModelFeed | undefined;
  afterAll(() => pool.end());
  beforeEach(async () => {
    schema = `mute_feed_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    events = await PostgresEventStore.connect({
      connectionString: testInfra().postgresUrl,
      schema: `${schema}_es`,
      listen: true,
      poolSize: 2,
    });
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await pool.query(`CREATE TABLE ${table(schema, 'seen')} (id text PRIMARY KEY)`);
  });
  afterEach(async () => {
    await feed?.stop();
    await events.close();
  });

  const append = (id: string) =>
    events.append(
      `feedTest-${id}`,
      [
        {
          id: randomUUID(),
          type: 'Seen',
          schemaVersion: 1,
          data: { id },
          metadata: {
            tenantId: 't1',
            actorId: 'test',
            correlationId: randomUUID(),
            occurredAt: new Date().toISOString(),
          },
        },
      ],
      'no_stream',
    );

  it('Given a running feed, When one batch fails, Then its component says retrying and the events are applied once after it', async () => {
    const components = new ComponentRegistry();
    const component = components.register({ name: 'test-feed', kind: 'projection' });
    const states: string[] = [];
    components.onChange((status) => states.push(status.state));
    let failNext = false;
    let failures = 0;
    feed = new ReadModelFeed(pool, schema, events, {
      name: 'test-feed',
      filter: { categories: ['feedTest'] },
      component,
      apply: async (tx, batch) => {
        for (const e of batch)
          await tx.query(`INSERT INTO ${table(schema, 'seen')} (id) VALUES ($1)`, [
            (e.data as { id: string }).id,
          ]);
        if (failNext) {
          failNext = false;
          failures += 1;
          throw new Error('connection reset (planted)');
        }
      },
    });
    await append('a');
    await feed.start();

    failNext = true;
    const { position } = await append('b');
    expect(await feed.waitFor(position, 20_000)).toBe(true);
    expect(failures).toBe(1);
    const { rows } = await pool.query<{ id: string }>(`SELECT id FROM ${table(schema, 'seen')} ORDER BY id`);
    expect(rows.map((r) => r.id)).toEqual(['a', 'b']);
    expect(states).toContain('retrying');
    await eventually(
      async () => expect(components.list().find((c) => c.name === 'test-feed')?.state).toBe('running'),
      5_000,
      50,
    );
  }, 30_000);
});
