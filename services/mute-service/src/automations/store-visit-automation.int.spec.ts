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
import { testInfra } from '@tagguard/testing';
import { Pool } from 'pg';
import { Outbox } from '../timers/outbox';
import { TimerStore } from '../timers/timer-store';
import { storeVisitRule, withAutomationTags, STORE_VISIT_RULE_ID } from './automation-overlay';
import { AUTOMATION_MUTE_END_TIMER, StoreVisitAutomation, VISIT_CHECK_TIMER } from './store-visit-automation';

describe('store-visit automation on PostgreSQL: 48 h wait and mute are durable timers', () => {
  const pool = new Pool({ connectionString: testInfra().postgresUrl });
  const H = 3_600_000;
  const T0 = Date.parse('2027-03-10T02:00:00Z');
  let schema: string;
  let outbox: Outbox;
  let timers: TimerStore;
  let automation: StoreVisitAutomation;

  beforeEach(async () => {
    schema = `mute_auto_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    outbox = await Outbox.create(pool, schema);
    timers = await TimerStore.create(pool, schema);
    automation = await StoreVisitAutomation.create(pool, schema, timers, outbox);
    await automation.configure(
      't1',
      { enabled: true, waitHours: 48, muteHours: 168, effect: 'silent' },
      'admin-1',
    );
  });
  afterAll(() => pool.end());

  const visit = (customerId: string, visitId: string, at: number) =>
    automation.onCommerceEvent(
      parseMuteCommerceEventV1('commerce.store_visited.v1', {
        tenantId: 't1',
        customerId,
        visitId,
        storeId: 'store-徐汇',
        visitedAt: new Date(at).toISOString(),
      }),
    );
  const purchase = (customerId: string, purchaseId: string, at: number) =>
    automation.onCommerceEvent(
      parseMuteCommerceEventV1('commerce.purchase_completed.v1', {
        tenantId: 't1',
        customerId,
        purchaseId,
        storeId: 'store-徐汇',
        purchasedAt: new Date(at).toISOString(),
      }),
    );
  const fire = (now: number) => timers.fireDue(now, automation.timerHandlers);

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
    const { rows } = await pool.query<{ type: string }>(`SELECT type FROM ${outbox.table} ORDER BY seq`);
    expect(rows.map((r) => r.type)).toEqual([
      'mute.customer_muted_by_automation.v1',
      'mute.automation_mute_lifted.v1',
    ]);
  });

  it('Given a visit and a purchase within 48 h, When the timer fires, Then no mute', async () => {
    await visit('wm-1', 'v1', T0);
    await purchase('wm-1', 'p1', T0 + 3 * H);
    expect(await fire(T0 + 48 * H)).toEqual({ fired: 1, failed: 0 });
    expect(await automation.listMutes('t1')).toEqual([]);
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
});
