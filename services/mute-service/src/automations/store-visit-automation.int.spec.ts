import { randomUUID } from 'node:crypto';
import { parseMuteCommerceEventV1 } from '@tagguard/contracts';
import {
  decide,
  defaultCalendars,
  emptyRuleSet,
  MemoryDirectoryView,
  MemoryTagView,
  MemoryThrottleCounts,
  type MuteRule,
} from '@tagguard/mute-engine';
import { PostgresEventStore, type EventStore } from '@tagguard/event-store';
import { testInfra } from '@tagguard/testing';
import { Pool } from 'pg';
import { toIntegrationMessage } from '../integration/mute-events.translation';
import { CUSTOMER_CATEGORY } from '../streams';
import { table } from '../timers/sql';
import { TimerStore } from '../timers/timer-store';
import { MuteWriter } from '../write/mute-writer';
import { storeVisitRule, withAutomationTags, STORE_VISIT_RULE_ID } from './automation-overlay';
import {
  AUTOMATION_FEED,
  AUTOMATION_MUTE_END_TIMER,
  StoreVisitAutomation,
  VISIT_CHECK_TIMER,
} from './store-visit-automation';

describe('store-visit automation on PostgreSQL: 48 h wait and mute are durable timers', () => {
  const pool = new Pool({ connectionString: testInfra().postgresUrl });
  const H = 3_600_000;
  const T0 = Date.parse('2027-03-10T02:00:00Z');
  let schema: string;
  let store: EventStore;
  let timers: TimerStore;
  let automation: StoreVisitAutomation;
  const stores: EventStore[] = [];
  const running: StoreVisitAutomation[] = [];

  /** An instance: its event store connection, writer, timers and automation, its feed caught up. */
  const instance = async () => {
    const s = await PostgresEventStore.connect({
      connectionString: testInfra().postgresUrl,
      schema,
      listen: true,
      poolSize: 4,
    });
    stores.push(s);
    const t = await TimerStore.create(pool, schema);
    const a = await StoreVisitAutomation.create(pool, schema, s, new MuteWriter(s), t);
    await a.feed.start();
    running.push(a);
    return { store: s, timers: t, automation: a };
  };

  afterEach(async () => {
    for (const a of running.splice(0)) await a.feed.stop();
    for (const s of stores.splice(0)) await s.close();
  });

  beforeEach(async () => {
    schema = `mute_auto_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    ({ store, timers, automation } = await instance());
    await automation.configure(
      't1',
      { enabled: true, waitHours: 48, muteHours: 168, effect: 'silent' },
      'admin-1',
    );
  });
  afterAll(() => pool.end());

  // Each fact, then the read model caught up (a loaded database can hold the feed back past the command's wait).
  const settled = async <T>(p: Promise<T>): Promise<T> => {
    const out = await p;
    await automation.feed.catchUp(30_000);
    return out;
  };
  const visit = (customerId: string, visitId: string, at: number) =>
    settled(
      automation.onCommerceEvent(
        parseMuteCommerceEventV1('commerce.store_visited.v1', {
          tenantId: 't1',
          customerId,
          visitId,
          storeId: 'store-徐汇',
          visitedAt: new Date(at).toISOString(),
        }),
      ),
    );
  const purchase = (customerId: string, purchaseId: string, at: number) =>
    settled(
      automation.onCommerceEvent(
        parseMuteCommerceEventV1('commerce.purchase_completed.v1', {
          tenantId: 't1',
          customerId,
          purchaseId,
          storeId: 'store-徐汇',
          purchasedAt: new Date(at).toISOString(),
        }),
      ),
    );
  /** Fires due timers; their events reach the read model before the test looks. */
  const fire = async (now: number) => {
    const fired = await timers.fireDue(now, automation.timerHandlers);
    await automation.feed.catchUp(30_000);
    return fired;
  };

  /** The decision path: the tenant's automation rule and the muted customers' automation tag. */
  async function outcomeFor(customerId: string, at: number, extra: { greens?: boolean } = {}) {
    const rule = storeVisitRule(await automation.settings(pool, 't1'));
    const rules = {
      ...emptyRuleSet('t1'),
      rules: new Map<string, MuteRule>(rule ? [[rule.ruleId, rule]] : []),
    };
    if (extra.greens)
      rules.greenChannels = new Map([
        ['g1', { channelId: 'g1', name: 'A级客户', tagGroupId: 'grade', enabled: true }],
      ]);
    const base = new MemoryTagView().tag('grade').tag('grade-a', 'grade').add('grade-a', 'customer', 'vip');
    const d = decide({
      message: {
        tenantId: 't1',
        messageId: randomUUID(),
        recipientId: 'alice',
        sender: { kind: 'external_customer', customerId },
        senderCorpId: null,
        urgency: 'normal',
        sentAt: at,
      },
      rules,
      tags: withAutomationTags(base, await automation.mutedCustomers('t1', at)),
      directory: new MemoryDirectoryView(),
      holidays: defaultCalendars(),
      unmutes: [],
      throttle: new MemoryThrottleCounts(),
    });
    return [d.outcome, d.winner.id];
  }

  it('Given a customer who scanned in a store, When 48 h pass without a purchase, Then they are muted; When they buy, Then the mute is lifted', async () => {
    await visit('wm-1', 'v1', T0);
    expect(await fire(T0 + 47 * H)).toEqual({ fired: 0, failed: 0 });
    expect(await outcomeFor('wm-1', T0 + 47 * H)).toEqual(['NOTIFY', null]);
    expect(await fire(T0 + 48 * H)).toEqual({ fired: 1, failed: 0 });
    expect(await outcomeFor('wm-1', T0 + 50 * H)).toEqual(['SILENT', STORE_VISIT_RULE_ID]);
    expect(await outcomeFor('wm-2', T0 + 50 * H)).toEqual(['NOTIFY', null]);

    await purchase('wm-1', 'p1', T0 + 60 * H);
    expect(await outcomeFor('wm-1', T0 + 61 * H)).toEqual(['NOTIFY', null]);
    expect(await automation.listMutes('t1', 'wm-1')).toEqual([
      expect.objectContaining({
        muteId: 'visit:v1',
        from: T0 + 48 * H,
        until: T0 + 216 * H,
        liftedAt: T0 + 60 * H,
        liftedReason: 'purchase',
      }),
    ]);
    expect((await timers.get(`${AUTOMATION_MUTE_END_TIMER}:t1/visit:v1`))!.state).toBe('cancelled');
    // What the relay publishes of the customer's stream: the mute and its lift, not the visit or the purchase.
    const published = (await store.readAll({ filter: { categories: [CUSTOMER_CATEGORY] } }))
      .map((e) => toIntegrationMessage(e))
      .filter((m) => m !== undefined);
    expect(published.map((m) => [m.type, m.key])).toEqual([
      ['mute.customer_muted_by_automation.v1', 't1/customer/wm-1'],
      ['mute.automation_mute_lifted.v1', 't1/customer/wm-1'],
    ]);
  });

  it('Given a visit and a purchase within 48 h, When the timer fires, Then no mute', async () => {
    await visit('wm-1', 'v1', T0);
    await purchase('wm-1', 'p1', T0 + 3 * H);
    expect(await fire(T0 + 48 * H)).toEqual({ fired: 1, failed: 0 });
    expect(await automation.listMutes('t1')).toEqual([]);
    expect(await outcomeFor('wm-1', T0 + 49 * H)).toEqual(['NOTIFY', null]);
  });

  it('Given a purchase within 48 h whose event arrives after the timer fired, When it arrives, Then the mute is lifted from its start and its end timer cancelled', async () => {
    await visit('wm-1', 'v1', T0);
    expect(await fire(T0 + 49 * H)).toEqual({ fired: 1, failed: 0 });
    expect(await outcomeFor('wm-1', T0 + 49 * H)).toEqual(['SILENT', STORE_VISIT_RULE_ID]);
    await purchase('wm-1', 'p1', T0 + 8 * H);
    expect(await automation.listMutes('t1', 'wm-1')).toEqual([
      expect.objectContaining({ liftedAt: T0 + 48 * H, liftedReason: 'purchase' }),
    ]);
    expect((await timers.get(`${AUTOMATION_MUTE_END_TIMER}:t1/visit:v1`))!.state).toBe('cancelled');
    expect(await outcomeFor('wm-1', T0 + 49 * H)).toEqual(['NOTIFY', null]);
  });

  it('Given a muted customer who never buys, When the mute period ends, Then its timer lifts it', async () => {
    await visit('wm-1', 'v1', T0);
    await fire(T0 + 48 * H);
    expect(await fire(T0 + 215 * H)).toEqual({ fired: 0, failed: 0 });
    expect(await fire(T0 + 216 * H)).toEqual({ fired: 1, failed: 0 });
    expect(await automation.listMutes('t1')).toEqual([
      expect.objectContaining({ liftedReason: 'expired', liftedAt: T0 + 216 * H }),
    ]);
    expect(await outcomeFor('wm-1', T0 + 217 * H)).toEqual(['NOTIFY', null]);
  });

  it('Given an A-grade customer muted by the automation, When they write, Then the green channel still wins (one precedence)', async () => {
    await visit('vip', 'v9', T0);
    await fire(T0 + 48 * H);
    expect(await outcomeFor('vip', T0 + 49 * H)).toEqual(['SILENT', STORE_VISIT_RULE_ID]);
    expect(await outcomeFor('vip', T0 + 49 * H, { greens: true })).toEqual(['NOTIFY', 'g1']);
  });

  it('Given the same visit delivered twice and a disabled automation, When visits arrive, Then one timer, and none while disabled', async () => {
    await visit('wm-1', 'v1', T0);
    await visit('wm-1', 'v1', T0);
    const { rows } = await pool.query(`SELECT timer_id FROM ${timers.table} WHERE kind = $1`, [
      VISIT_CHECK_TIMER,
    ]);
    expect(rows).toHaveLength(1);
    await automation.configure(
      't1',
      { enabled: false, waitHours: 48, muteHours: 168, effect: 'silent' },
      'admin-1',
    );
    expect(await visit('wm-3', 'v3', T0)).toEqual([]);
    await expect(
      automation.configure('t1', { enabled: true, waitHours: 0, muteHours: 1, effect: 'silent' }, 'a'),
    ).rejects.toMatchObject({ field: 'waitHours' });
  });

  it('Given mutes lifted, replaced and in force, When the read-model tables and the checkpoint are dropped and the feed restarts, Then the same answers come back and no timer is re-armed', async () => {
    await visit('wm-1', 'v1', T0);
    await visit('wm-2', 'v2', T0);
    await visit('wm-3', 'v3', T0);
    await fire(T0 + 48 * H);
    await purchase('wm-1', 'p1', T0 + 50 * H);
    // wm-2 visits again without buying: the later, longer mute replaces the first.
    await visit('wm-2', 'v2b', T0 + 60 * H);
    await fire(T0 + 108 * H);
    const answers = async (a: StoreVisitAutomation) => ({
      mutes: await a.listMutes('t1'),
      muted: [...(await a.mutedCustomers('t1', T0 + 110 * H))].sort(),
      snapshot: await a.snapshot(),
      timers: (
        await pool.query<{ timer_id: string; state: string }>(
          `SELECT timer_id, state FROM ${timers.table} ORDER BY timer_id`,
        )
      ).rows,
    });
    const before = await answers(automation);
    expect(before.mutes.map((m) => [m.customerId, m.muteId, m.liftedReason])).toEqual([
      ['wm-1', 'visit:v1', 'purchase'],
      ['wm-2', 'visit:v2', 'replaced'],
      ['wm-3', 'visit:v3', null],
      ['wm-2', 'visit:v2b', null],
    ]);
    expect(before.muted).toEqual(['wm-2', 'wm-3']);

    for (const a of running.splice(0)) await a.feed.stop();
    const t = StoreVisitAutomation.tables(schema);
    await pool.query(`DROP TABLE ${t.settings}, ${t.mutes}`);
    await pool.query(`DELETE FROM ${table(schema, 'mute_flow_checkpoints')} WHERE name = $1`, [
      AUTOMATION_FEED,
    ]);
    const rebuilt = await instance();
    await rebuilt.automation.feed.catchUp(30_000);
    expect(await answers(rebuilt.automation)).toEqual(before);
    expect(await rebuilt.automation.settings(pool, 't1')).toMatchObject({ enabled: true, waitMs: 48 * H });
  });
});
