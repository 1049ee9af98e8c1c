import { eventually, testInfra } from '@tagguard/testing';
import { Pool } from 'pg';
import { FlowHarness } from '../timers/testing/flow-harness';

const MESSAGES = 400;
// Monday 21:00 in Shanghai: a hold rule's release is the next working window, Tuesday 09:00 (already past).
const SENT = Date.parse('2026-11-30T13:00:00Z');

// A SIGKILL of mute-service (no goodbye, no rollback by the process) while it releases a digest: restarted, it
// releases every held message exactly once, in the order held, and the digest is one digest.
describe('digest release: SIGKILL of mute-service mid-release', () => {
  const pool = new Pool({ connectionString: testInfra().postgresUrl });
  afterAll(() => pool.end());

  it(`given ${MESSAGES} held messages being released, when mute-service is killed -9 and restarted, then each is delivered once, in order`, async () => {
    const h = await FlowHarness.start({ MUTE_RELEASE_SWEEP: 'off' });
    const es = `"${h.schema}_es".events`;
    // This tenant's events only: the process's own ingest consumer group also decides other suites' messages
    // from the shared broker's ingest topic (other tenants, rightly recorded in this event store too).
    const ours = `metadata->>'tenantId' = '${h.tenant.tenantId}'`;
    const deliveries = async () =>
      (
        await pool.query<{ message_id: string; release_id: string; alert: boolean }>(
          `SELECT data->>'messageId' AS message_id, data->>'releaseId' AS release_id, (data->>'alert')::boolean AS alert
             FROM ${es} WHERE event_type = 'MessageDelivered' AND ${ours} ORDER BY transaction_id, global_position`,
        )
      ).rows;
    try {
      await h.call('RuleService', 'CreateRule', {
        rule: {
          ruleId: 'hold-brand-y',
          name: '活动期 品牌 Y 汇总',
          effect: 'RULE_EFFECT_HOLD',
          scope: { senderCorpIds: ['brand-y'] },
        },
      });
      // The rule is folded into every instance's memory asynchronously: decide once it holds.
      const probe = {
        messageId: 'probe',
        recipientId: 'probe',
        sender: { partnerStaff: { corpId: 'brand-y', staffId: 's1' } },
        senderCorpId: 'brand-y',
        sentAt: new Date(SENT).toISOString(),
      };
      await eventually(
        async () => {
          const { decision } = await h.call('DecideService', 'Decide', { message: probe, dryRun: true });
          expect(decision.outcome).toBe('OUTCOME_HOLD');
        },
        30_000,
        100,
      );
      const ids = Array.from({ length: MESSAGES }, (_, i) => `m${String(i).padStart(4, '0')}`);
      for (let i = 0; i < MESSAGES; i += 200) {
        const { decisions } = await h.call('DecideService', 'BatchDecide', {
          messages: ids.slice(i, i + 200).map((messageId, j) => ({
            messageId,
            recipientId: 'alice',
            sender: { partnerStaff: { corpId: 'brand-y', staffId: 's1' } },
            senderCorpId: 'brand-y',
            sentAt: new Date(SENT + (i + j) * 1000).toISOString(),
          })),
        });
        expect(decisions.every((d: { outcome: string }) => d.outcome === 'OUTCOME_HOLD')).toBe(true);
      }
      await eventually(
        async () => {
          const { held } = await h.call('HoldService', 'ListHeld', { recipientId: 'alice' });
          expect(held).toHaveLength(MESSAGES);
        },
        30_000,
        100,
      );

      // Release, and kill the process once part of the digest is delivered.
      void h.call('HoldService', 'ReleaseDue', { recipientId: 'alice' }).catch(() => undefined);
      await eventually(async () => expect((await deliveries()).length).toBeGreaterThanOrEqual(20), 30_000, 5);
      await h.proc.stop('SIGKILL');
      const atKill = (await deliveries()).length;
      expect(atKill).toBeLessThan(MESSAGES);

      // The same service back, its sweeper on: it releases what is due.
      await h.startService({ MUTE_RELEASE_SWEEP: 'on' });
      await eventually(async () => expect((await deliveries()).length).toBe(MESSAGES), 60_000, 200);
      await new Promise((r) => setTimeout(r, 1_000)); // a late duplicate would show by now

      // In the order held: the order their HOLD decisions were recorded (BatchDecide records concurrently).
      const { rows: decided } = await pool.query<{ message_id: string }>(
        `SELECT data->'message'->>'messageId' AS message_id FROM ${es}
          WHERE event_type = 'MessageDecided' AND ${ours} ORDER BY transaction_id, global_position`,
      );
      const heldOrder = decided.map((r) => r.message_id);
      expect([...heldOrder].sort()).toEqual(ids);
      const delivered = await deliveries();
      expect(delivered.map((d) => d.message_id)).toEqual(heldOrder);
      // The deliveries are appended one by one before the release's own transaction (held → released, the
      // digest row) commits: wait for that too.
      const digests = await eventually(
        async () => {
          expect((await h.call('HoldService', 'ListHeld', { recipientId: 'alice' })).held).toEqual([]);
          const listed = (await h.call('HoldService', 'ListDigests', { recipientId: 'alice' })).digests;
          expect(listed).toHaveLength(1);
          return listed;
        },
        30_000,
        200,
      );
      expect(digests[0]).toMatchObject({ digestNo: 1, messageIds: heldOrder });
      // One digest: every delivery under its id (the killed attempt had the same one), one alert for it.
      expect(new Set(delivered.map((d) => d.release_id))).toEqual(new Set([digests[0].digestId]));
      expect(delivered.filter((d) => d.alert).map((d) => d.message_id)).toEqual([heldOrder[0]]);
    } finally {
      await h.stop();
    }
  }, 240_000);
});
