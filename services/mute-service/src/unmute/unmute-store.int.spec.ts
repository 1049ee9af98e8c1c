import { randomUUID } from 'node:crypto';
import {
  decide,
  defaultCalendars,
  emptyRuleSet,
  MemoryDirectoryView,
  MemoryTagView,
  MemoryThrottleCounts,
  rule,
  type MuteMessage,
} from '@tagguard/mute-engine';
import { PostgresEventStore, type EventStore } from '@tagguard/event-store';
import { testInfra } from '@tagguard/testing';
import { Pool, type PoolClient } from 'pg';
import { recordedOf } from '../decisions/message-decisions';
import { toIntegrationMessage } from '../integration/mute-events.translation';
import { messageDecider } from '../messages/domain/message.decider';
import { MESSAGE_CATEGORY, UNMUTE_CATEGORY, messageStream } from '../streams';
import { table } from '../timers/sql';
import { TimerStore, type DueTimer } from '../timers/timer-store';
import { MuteWriter } from '../write/mute-writer';
import { UNMUTE_END_TIMER, UNMUTE_FEED, UnmuteStore } from './unmute-store';

describe('temporary unmute: durable timer and operation report', () => {
  const url = testInfra().postgresUrl;
  const pool = new Pool({ connectionString: url });
  const H = 3_600_000;
  const T0 = Date.parse('2027-03-10T02:00:00Z');
  let schema: string;
  let store: EventStore;
  let writer: MuteWriter;
  let timers: TimerStore;
  let unmutes: UnmuteStore;
  const stores: EventStore[] = [];
  const feeds: UnmuteStore[] = [];

  const openStore = async () => {
    const s = await PostgresEventStore.connect({ connectionString: url, schema, listen: true, poolSize: 4 });
    stores.push(s);
    return s;
  };
  /** An instance: its event store connection, writer, timers and unmute store, its feed caught up. */
  const instance = async (p: Pool) => {
    const s = await openStore();
    const w = new MuteWriter(s);
    const t = await TimerStore.create(p, schema);
    const u = await UnmuteStore.create(p, schema, s, w, t);
    await u.feed.start();
    feeds.push(u);
    return { store: s, writer: w, timers: t, unmutes: u };
  };

  beforeEach(async () => {
    schema = `mute_unmute_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    ({ store, writer, timers, unmutes } = await instance(pool));
  });
  afterEach(async () => {
    for (const u of feeds.splice(0)) await u.feed.stop();
    for (const s of stores.splice(0)) await s.close();
  });
  afterAll(() => pool.end());

  /** What the relay publishes of the unmute streams, in order (type and data). */
  async function published() {
    const events = await store.readAll({ filter: { categories: [UNMUTE_CATEGORY] } });
    return events.map((e) => toIntegrationMessage(e)!);
  }

  const rules = {
    ...emptyRuleSet('t1'),
    rules: new Map([
      [
        'r-silence',
        rule({
          ruleId: 'r-silence',
          name: '供应商静音',
          scope: { senderTagIds: ['suppliers'] },
          effect: 'silent',
        }),
      ],
    ]),
  };
  const tags = new MemoryTagView().tag('suppliers').add('suppliers', 'partner', 'supplier-x');
  const message = (i: number, at: number): MuteMessage => ({
    tenantId: 't1',
    messageId: `m${i}`,
    recipientId: i % 2 ? 'alice' : 'bob',
    sender: { kind: 'partner_staff', corpId: 'supplier-x', staffId: 's1' },
    senderCorpId: 'supplier-x',
    urgency: 'normal',
    sentAt: at,
  });

  /** The decision path as mute-service runs it: the unmutes in force go in; the decision is recorded (MessageDecided). */
  async function deliver(m: MuteMessage, u = unmutes, w = writer) {
    // The unmutes in force as the feed has them (a loaded database can hold the feed back a while).
    await u.feed.catchUp(30_000);
    const d = decide({
      message: m,
      rules,
      tags,
      directory: new MemoryDirectoryView(),
      holidays: defaultCalendars(),
      unmutes: await u.inForce('t1'),
      throttle: new MemoryThrottleCounts(),
    });
    await w.write(
      { stream: messageStream('t1', m.messageId), decider: messageDecider },
      { type: 'RecordDecision', data: recordedOf(m, d, m.sentAt) },
      { tenantId: 't1', actorId: 'ingest' },
    );
    return d.outcome;
  }

  it('Given supplier X silenced, When an admin unmutes 供应商 for 4 hours, Then its messages alert, and at the end (after a restart) a report lists them and is published once', async () => {
    const u = await unmutes.start({
      tenantId: 't1',
      unmuteId: 'u1',
      tagId: 'suppliers',
      tagName: '供应商',
      actorId: 'admin-1',
      hours: 4,
      now: T0,
    });
    expect(u).toMatchObject({ status: 'active', startsAt: T0, endsAt: T0 + 4 * H });
    expect(await deliver(message(1, T0 - H))).toBe('SILENT');
    expect(await deliver(message(2, T0 + 10_000))).toBe('NOTIFY');
    expect(await deliver(message(3, T0 + 2 * H))).toBe('NOTIFY');
    await expect(unmutes.report('t1', 'u1')).rejects.toMatchObject({ code: 'MUTE.FAILED_PRECONDITION' });

    // A restart: new pools and stores over the same tables; the timer is still there and fires once.
    const pool2 = new Pool({ connectionString: url });
    try {
      const { timers: timers2, unmutes: unmutes2 } = await instance(pool2);
      // As the flow runner does before it fires timers.
      await unmutes2.feed.catchUp(30_000);
      expect(await timers2.fireDue(T0 + 4 * H - 1, { [UNMUTE_END_TIMER]: unmutes2.onTimer })).toEqual({
        fired: 0,
        failed: 0,
      });
      expect(await timers2.fireDue(T0 + 4 * H, { [UNMUTE_END_TIMER]: unmutes2.onTimer })).toEqual({
        fired: 1,
        failed: 0,
      });
      expect(await timers2.fireDue(T0 + 9 * H, { [UNMUTE_END_TIMER]: unmutes2.onTimer })).toEqual({
        fired: 0,
        failed: 0,
      });
      // The end is an event; its report row follows from the feed.
      await unmutes2.feed.catchUp(30_000);
      const report = await unmutes2.report('t1', 'u1');
      expect(report).toMatchObject({
        unmutedBy: 'admin-1',
        tagId: 'suppliers',
        tagName: '供应商',
        startedAt: T0,
        endedAt: T0 + 4 * H,
        durationMs: 4 * H,
        endedBy: 'system',
        reason: 'expired',
        messageCount: 2,
        recipientCount: 2,
      });
      expect(report.messages.map((m) => m.messageId)).toEqual(['m2', 'm3']);
    } finally {
      await pool2.end();
    }
    await unmutes.feed.catchUp(30_000);
    expect(await unmutes.inForce('t1')).toEqual([]);
    expect(await deliver(message(4, T0 + 5 * H))).toBe('SILENT');
    const rows = await published();
    expect(rows.map((r) => r.type)).toEqual([
      'mute.temporary_unmute_started.v1',
      'mute.temporary_unmute_ended.v1',
    ]);
    expect(rows.map((r) => r.key)).toEqual(['t1/unmute/u1', 't1/unmute/u1']);
    expect(rows[1]!.data).toMatchObject({
      messagesLetThrough: 2,
      endedAt: new Date(T0 + 4 * H).toISOString(),
      report: { messageCount: 2 },
    });
  });

  it('Given an active unmute, When an admin stops it after one hour, Then the report says so, the timer is cancelled, and stopping again answers the same report', async () => {
    await unmutes.start({
      tenantId: 't1',
      unmuteId: 'u2',
      tagId: 'suppliers',
      tagName: '供应商',
      actorId: 'admin-1',
      hours: 4,
      now: T0,
    });
    await deliver(message(1, T0 + 60_000));
    // No wait for the feed: the stop itself waits until the decisions before it are in the report.
    const report = await unmutes.stop({ tenantId: 't1', unmuteId: 'u2', actorId: 'admin-2', now: T0 + H });
    expect(report).toMatchObject({ endedBy: 'admin-2', reason: 'stopped', durationMs: H, messageCount: 1 });
    expect(
      await unmutes.stop({ tenantId: 't1', unmuteId: 'u2', actorId: 'admin-3', now: T0 + 2 * H }),
    ).toEqual(report);
    expect((await timers.get(`${UNMUTE_END_TIMER}:t1/u2`))!.state).toBe('cancelled');
    expect(await unmutes.list('t1', { tagId: 'suppliers' })).toEqual([
      expect.objectContaining({ unmuteId: 'u2', status: 'ended', passedCount: 1 }),
    ]);
  });

  it('Given the feed far behind, When an unknown unmute or an ended one is stopped, Then NOT_FOUND or its stored report (not UNAVAILABLE)', async () => {
    await unmutes.start({
      tenantId: 't1',
      unmuteId: 'u9',
      tagId: 'suppliers',
      tagName: '供应商',
      actorId: 'admin-1',
      hours: 4,
      now: T0,
    });
    const report = await unmutes.stop({ tenantId: 't1', unmuteId: 'u9', actorId: 'admin-2', now: T0 + H });
    // The feed stops (as if far behind) and a decision lands after it: a catch-up could not finish now.
    await unmutes.feed.stop();
    await deliver(message(7, T0 + 2 * H));
    expect(await unmutes.feed.catchUp(1_000)).toBe(false);
    await expect(
      unmutes.stop({ tenantId: 't1', unmuteId: 'no-such', actorId: 'admin-2', now: T0 + 3 * H }),
    ).rejects.toMatchObject({ code: 'MUTE.NOT_FOUND', field: 'unmuteId' });
    expect(
      await unmutes.stop({ tenantId: 't1', unmuteId: 'u9', actorId: 'admin-3', now: T0 + 3 * H }),
    ).toEqual(report);
  });

  it('Given bad input, When an unmute is started, Then the error names the field and nothing is written', async () => {
    await expect(
      unmutes.start({
        tenantId: 't1',
        tagId: 'suppliers',
        tagName: '供应商',
        actorId: 'a',
        hours: 0,
        now: T0,
      }),
    ).rejects.toMatchObject({
      code: 'MUTE.INVALID_ARGUMENT',
      field: 'hours',
    });
    const u3 = {
      tenantId: 't1',
      unmuteId: 'u3',
      tagId: 'suppliers',
      tagName: '供应商',
      actorId: 'a',
      hours: 1,
      now: T0,
    };
    const first = await unmutes.start(u3);
    // A retried start is answered with the unmute it started; the same id for another start is refused.
    expect(await unmutes.start({ ...u3, now: T0 + 5_000 })).toEqual(first);
    await expect(unmutes.start({ ...u3, hours: 2 })).rejects.toMatchObject({
      code: 'MUTE.ALREADY_EXISTS',
      field: 'unmuteId',
    });
    await expect(unmutes.get('t1', 'nope')).rejects.toMatchObject({
      code: 'MUTE.NOT_FOUND',
      field: 'unmuteId',
    });
    expect(await unmutes.list('t1')).toHaveLength(1);
    expect((await published()).map((r) => r.type)).toEqual(['mute.temporary_unmute_started.v1']);
  });

  it('Given unmutes ended and in force, When the read-model tables and the checkpoint are dropped and the feed restarts, Then the same answers come back and no timer is re-armed', async () => {
    await unmutes.start({
      tenantId: 't1',
      unmuteId: 'u1',
      tagId: 'suppliers',
      tagName: '供应商',
      actorId: 'a',
      hours: 4,
      now: T0,
    });
    await deliver(message(1, T0 + 60_000));
    await deliver(message(2, T0 + 2 * 60_000));
    await unmutes.stop({ tenantId: 't1', unmuteId: 'u1', actorId: 'b', now: T0 + H });
    await unmutes.start({
      tenantId: 't1',
      unmuteId: 'u2',
      tagId: 'suppliers',
      tagName: '供应商',
      actorId: 'c',
      hours: 2,
      now: T0 + 2 * H,
    });
    await deliver(message(3, T0 + 2 * H + 1));
    await unmutes.feed.catchUp(30_000);
    const answers = async (u: UnmuteStore) => ({
      list: await u.list('t1'),
      u1: await u.get('t1', 'u1'),
      u2: await u.get('t1', 'u2'),
      report: await u.report('t1', 'u1'),
      active: await u.allActive(),
      timers: [
        (await timers.get(`${UNMUTE_END_TIMER}:t1/u1`))?.state,
        (await timers.get(`${UNMUTE_END_TIMER}:t1/u2`))?.state,
      ],
    });
    const before = await answers(unmutes);
    expect(before.report).toMatchObject({ messageCount: 2, endedBy: 'b' });
    expect(before.u2).toMatchObject({ status: 'active', passedCount: 1 });
    expect(before.timers).toEqual(['cancelled', 'pending']);

    for (const u of feeds.splice(0)) await u.feed.stop();
    const { unmutes: tables, passes } = UnmuteStore.tables(schema);
    await pool.query(`DROP TABLE ${tables}, ${passes}`);
    await pool.query(`DELETE FROM ${table(schema, 'mute_flow_checkpoints')} WHERE name = $1`, [UNMUTE_FEED]);

    const rebuilt = await instance(pool);
    await rebuilt.unmutes.feed.catchUp(30_000);
    expect(await answers(rebuilt.unmutes)).toEqual(before);
    // The rebuild read the decisions too (the report lines), not only the unmute streams.
    expect(
      (await rebuilt.store.readAll({ filter: { categories: [MESSAGE_CATEGORY] } })).length,
    ).toBeGreaterThan(0);
  });

  it('Given an active unmute, When five admins stop it at once, Then one end is written and all five get its report', async () => {
    await unmutes.start({
      tenantId: 't1',
      unmuteId: 'u5',
      tagId: 'suppliers',
      tagName: '供应商',
      actorId: 'a',
      hours: 4,
      now: T0,
    });
    await deliver(message(1, T0 + 60_000));
    const reports = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        unmutes.stop({ tenantId: 't1', unmuteId: 'u5', actorId: `admin-${i}`, now: T0 + H + i }),
      ),
    );
    for (const r of reports) expect(r).toEqual(reports[0]);
    expect(reports[0]).toMatchObject({ messageCount: 1, reason: 'stopped' });
    expect((await published()).map((r) => r.type)).toEqual([
      'mute.temporary_unmute_started.v1',
      'mute.temporary_unmute_ended.v1',
    ]);
  });

  it('Given an unmute whose end was appended, When its timer transaction fails before COMMIT, Then the timer fires again and writes no second end', async () => {
    await unmutes.start({
      tenantId: 't1',
      unmuteId: 'u6',
      tagId: 'suppliers',
      tagName: '供应商',
      actorId: 'a',
      hours: 1,
      now: T0,
    });
    // The feed lags (stopped): it would otherwise cancel the timer once the end is applied.
    for (const u of feeds.splice(0)) await u.feed.stop();
    const crashing = {
      [UNMUTE_END_TIMER]: async (tx: PoolClient, t: DueTimer) => {
        await unmutes.onTimer(tx, t);
        throw new Error('killed before COMMIT');
      },
    };
    expect(await timers.fireDue(T0 + H, crashing)).toEqual({ fired: 0, failed: 1 });
    expect((await timers.get(`${UNMUTE_END_TIMER}:t1/u6`))!.state).toBe('pending');
    // Past the retry's backoff: the timer fires again and commits; the decider answers the second end with nothing.
    expect(await timers.fireDue(T0 + 2 * H, { [UNMUTE_END_TIMER]: unmutes.onTimer })).toEqual({
      fired: 1,
      failed: 0,
    });
    const later = await instance(pool);
    await later.unmutes.feed.catchUp(30_000);
    expect(await later.unmutes.report('t1', 'u6')).toMatchObject({ endedBy: 'system', reason: 'expired' });
    expect((await published()).map((r) => r.type)).toEqual([
      'mute.temporary_unmute_started.v1',
      'mute.temporary_unmute_ended.v1',
    ]);
  });
});
