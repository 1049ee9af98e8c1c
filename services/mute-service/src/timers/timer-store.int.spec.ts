import { randomUUID } from 'node:crypto';
import { testInfra } from '@tagguard/testing';
import { Pool, type PoolClient } from 'pg';
import { TimerStore, type DueTimer } from './timer-store';
import { table } from './sql';

describe('durable timers', () => {
  const pool = new Pool({ connectionString: testInfra().postgresUrl, max: 20 });
  const T = Date.parse('2026-03-11T01:00:00Z');
  let schema: string;
  let timers: TimerStore;
  let effects: string;

  beforeEach(async () => {
    schema = `mute_timers_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    timers = await TimerStore.create(pool, schema);
    effects = table(schema, 'effects');
    await pool.query(
      `CREATE TABLE ${effects} (timer_id text NOT NULL, at timestamptz NOT NULL DEFAULT now())`,
    );
  });
  afterAll(() => pool.end());
  beforeAll(() => Promise.all(Array.from({ length: 16 }, () => pool.query('SELECT pg_sleep(0.05)'))));

  // The handler's effect is a row in the same transaction: it commits exactly when the timer is marked fired.
  const record = async (tx: PoolClient, t: DueTimer) => {
    await tx.query(`INSERT INTO ${effects} (timer_id) VALUES ($1)`, [t.timerId]);
  };
  const fired = async () =>
    (await pool.query<{ timer_id: string }>(`SELECT timer_id FROM ${effects} ORDER BY timer_id`)).rows.map(
      (r) => r.timer_id,
    );

  it('Given 40 due timers, When 6 firers run at once, Then each timer fires exactly once', async () => {
    for (let i = 0; i < 40; i += 1)
      await timers.schedule(pool, {
        timerId: `t${String(i).padStart(2, '0')}`,
        tenantId: 'x',
        kind: 'k',
        dueAt: T,
        payload: {},
      });
    const handler = async (tx: PoolClient, t: DueTimer) => {
      await record(tx, t);
      await new Promise((r) => setTimeout(r, 5));
    };
    const runs = await Promise.all(Array.from({ length: 6 }, () => timers.fireDue(T, { k: handler })));
    expect(runs.reduce((n, r) => n + r.fired, 0)).toBe(40);
    expect(await fired()).toEqual(Array.from({ length: 40 }, (_, i) => `t${String(i).padStart(2, '0')}`));
    expect(await timers.fireDue(T + 1_000_000, { k: handler })).toEqual({ fired: 0, failed: 0 });
  });

  it('Given a timer not yet due, When the firer runs, Then it waits; at its due time it fires', async () => {
    await timers.schedule(pool, {
      timerId: 'later',
      tenantId: 'x',
      kind: 'k',
      dueAt: T + 60_000,
      payload: { a: 1 },
    });
    expect(await timers.fireDue(T, { k: record })).toEqual({ fired: 0, failed: 0 });
    expect(await timers.nextDue()).toBe(T + 60_000);
    expect(await timers.fireDue(T + 60_000, { k: record })).toEqual({ fired: 1, failed: 0 });
    expect(await fired()).toEqual(['later']);
  });

  it('Given a handler that fails, When the timer fires, Then its effect is rolled back and it is retried later, then fires once', async () => {
    await timers.schedule(pool, { timerId: 'flaky', tenantId: 'x', kind: 'k', dueAt: T, payload: {} });
    let calls = 0;
    const flaky = async (tx: PoolClient, t: DueTimer) => {
      calls += 1;
      await record(tx, t);
      if (calls === 1) throw new Error('downstream unavailable');
    };
    expect(await timers.fireDue(T, { k: flaky })).toEqual({ fired: 0, failed: 1 });
    expect(await fired()).toEqual([]);
    const state = await timers.get('flaky');
    expect(state).toMatchObject({ state: 'pending', attempts: 1, lastError: 'downstream unavailable' });
    expect(state!.dueAt).toBeGreaterThan(T);
    expect(await timers.fireDue(T, { k: flaky })).toEqual({ fired: 0, failed: 0 });
    expect(await timers.fireDue(state!.dueAt, { k: flaky })).toEqual({ fired: 1, failed: 0 });
    expect(await fired()).toEqual(['flaky']);
  });

  it('Given a cancelled timer, When due, Then it never fires; a fired timer cannot be re-armed by a late schedule', async () => {
    await timers.schedule(pool, { timerId: 'c', tenantId: 'x', kind: 'k', dueAt: T, payload: {} });
    await timers.cancel(pool, 'c');
    await timers.schedule(pool, { timerId: 'f', tenantId: 'x', kind: 'k', dueAt: T, payload: {} });
    await timers.fireDue(T, { k: record });
    await timers.schedule(pool, { timerId: 'f', tenantId: 'x', kind: 'k', dueAt: T + 1, payload: {} });
    await timers.fireDue(T + 10, { k: record });
    expect(await fired()).toEqual(['f']);
    expect((await timers.get('c'))!.state).toBe('cancelled');
  });

  it('Given a firer whose process dies mid-handler (its connection killed), When another firer runs, Then the timer fires once there', async () => {
    await timers.schedule(pool, { timerId: 'crash', tenantId: 'x', kind: 'k', dueAt: T, payload: {} });
    const dying = new Pool({ connectionString: testInfra().postgresUrl, max: 2 });
    dying.on('error', () => undefined);
    const doomed = await TimerStore.create(dying, schema);
    let killed!: () => void;
    const inHandler = new Promise<void>((r) => (killed = r));
    const attempt = doomed.fireDue(T, {
      k: async (tx, t) => {
        await record(tx, t);
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        killed();
        // What a SIGKILL does to the database side: the session ends and its transaction rolls back.
        await pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        await tx.query('SELECT pg_sleep(1)');
      },
    });
    await inHandler;
    await attempt.catch(() => undefined);
    await dying.end().catch(() => undefined);
    expect(await fired()).toEqual([]);
    expect((await timers.get('crash'))!.state).toBe('pending');
    // (The dying firer may have pushed it back by a backoff on its way down.)
    expect(await timers.fireDue(T + 10 * 60_000, { k: record })).toEqual({ fired: 1, failed: 0 });
    expect(await fired()).toEqual(['crash']);
  });
});
