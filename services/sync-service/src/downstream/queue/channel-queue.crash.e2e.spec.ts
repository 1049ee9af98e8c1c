import { Pool } from 'pg';
import { eventually, testInfra } from '@tagguard/testing';
import { DownstreamHarness } from '../testing/downstream-harness';
import { CONCURRENCY, FLUSH_ROWS } from './channel-applier';

const EMPLOYEES = 400;

// A SIGKILL of sync-service (no goodbye, no flush) while it applies a channel's queue to a slow
// downstream: restarted, it applies the rest, each queued change once, none lost, in order per employee.
describe('channel queue: SIGKILL of sync-service mid-way', () => {
  const pool = new Pool({ connectionString: testInfra().postgresUrl });
  afterAll(() => pool.end());

  it(`given ${EMPLOYEES} accounts being applied, when sync-service is killed -9 and restarted, then every account is applied, none queued twice`, async () => {
    const h = await DownstreamHarness.start();
    try {
      h.downstream.delayMs = 5;
      await h.directory('UpsertDepartment', { departmentId: 'd1', name: '销售部' });
      for (let i = 0; i < EMPLOYEES; i += 200)
        await h.directory('ImportDirectory', {
          items: Array.from({ length: 200 }, (_, j) => ({
            employee: {
              employeeId: `e${String(i + j).padStart(4, '0')}`,
              name: `员工 ${i + j}`,
              departmentIds: ['d1'],
            },
          })),
        });
      await h.downstreamCall('ConfigureChannel', {
        channelId: 'mail',
        kind: 'CHANNEL_KIND_EMPLOYEE_ACCOUNTS',
        connector: 'test-http',
        settings: { mailDomain: 'corp.example' },
      });
      await h.downstreamCall('EnableChannel', { channelId: 'mail' });
      const accounts = h.downstream.downstream.accounts;
      await eventually(() => expect(accounts.size).toBeGreaterThanOrEqual(50), 30_000, 10);
      await h.proc.stop('SIGKILL');
      const atKill = accounts.size;
      expect(atKill).toBeLessThan(EMPLOYEES);

      // While it is down the directory changes; the restarted service queues and applies it too, in order.
      await h.startService();
      await h.directory('DisableEmployee', { employeeId: 'e0001' });
      await h.directory('EnableEmployee', { employeeId: 'e0001' });
      await h.directory('DisableEmployee', { employeeId: 'e0001' });
      await eventually(
        async () => {
          const { state } = await h.downstreamCall('GetChannelState', { channelId: 'mail' });
          expect(state.queueDepth).toBe('0');
          expect(accounts.size).toBe(EMPLOYEES);
          expect(accounts.get('e0001')?.active).toBe(false);
          // The planner reads the three directory events asynchronously: an empty queue after the first
          // disable is not the end. Done when e0001's latest queued change is the final disable, applied.
          const { rows: last } = await pool.query<{ n: number; active: boolean; state: string }>(
            `SELECT (SELECT count(*)::int FROM "${h.schema}".downstream_outbox WHERE key = 'account/e0001') AS n,
                    (change->'account'->>'active')::boolean AS active, state
               FROM "${h.schema}".downstream_outbox WHERE key = 'account/e0001' ORDER BY seq DESC LIMIT 1`,
          );
          expect(last[0]).toMatchObject({ active: false, state: 'applied' });
          expect(last[0]!.n).toBeGreaterThanOrEqual(2);
        },
        90_000,
        250,
      );

      const { rows } = await pool.query<{ key: string; n: number; applied: number }>(
        `SELECT key, count(*)::int AS n, count(*) FILTER (WHERE state = 'applied')::int AS applied
           FROM "${h.schema}".downstream_outbox GROUP BY key`,
      );
      expect(rows).toHaveLength(EMPLOYEES);
      const byKey = new Map(rows.map((r) => [r.key, r]));
      // One change per employee from the enable; e0001's three changes follow it (those the planner read in
      // one batch are one state: the latest); every one applied.
      expect(rows.filter((r) => r.key !== 'account/e0001').every((r) => r.n === 1 && r.applied === 1)).toBe(
        true,
      );
      const e = byKey.get('account/e0001')!;
      expect(e.n).toBeGreaterThanOrEqual(2);
      expect(e.applied).toBe(e.n);
      // At-least-once with idempotent writes: only what was in flight or not yet marked (FLUSH_ROWS) went twice.
      const writes = h.downstream.downstream.writes;
      const perEmployee = new Map<string, number>();
      for (const w of writes)
        if (w.op === 'upsertAccount')
          perEmployee.set(w.account.employeeId, (perEmployee.get(w.account.employeeId) ?? 0) + 1);
      const twice = [...perEmployee].filter(([id, n]) => id !== 'e0001' && n > 1);
      expect(twice.length).toBeLessThanOrEqual(FLUSH_ROWS + 2 * CONCURRENCY);
      const e0001 = writes.filter((w) => w.op === 'upsertAccount' && w.account.employeeId === 'e0001');
      expect(e0001.length).toBeGreaterThanOrEqual(e.n);
      expect(e0001[e0001.length - 1]).toMatchObject({ account: { active: false } });
    } finally {
      await h.stop();
    }
  }, 180_000);
});
