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
import { testInfra } from '@tagguard/testing';
import { Pool } from 'pg';
import { Outbox } from '../timers/outbox';
import { TimerStore } from '../timers/timer-store';
import { UNMUTE_END_TIMER, UnmuteStore } from './unmute-store';

describe('temporary unmute: durable timer and operation report', () => {
  const url = testInfra().postgresUrl;
  const pool = new Pool({ connectionString: url });
  const H = 3_600_000;
  const T0 = Date.parse('2027-03-10T02:00:00Z');
  let schema: string;
  let outbox: Outbox;
  let timers: TimerStore;
  let unmutes: UnmuteStore;

  beforeEach(async () => {
    schema = `mute_unmute_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    outbox = await Outbox.create(pool, schema);
    timers = await TimerStore.create(pool, schema);
    unmutes = await UnmuteStore.create(pool, schema, timers, outbox);
  });
  afterAll(() => pool.end());

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

  /** The decision path as mute-service runs it: the unmutes in force go in; a decision won by one is recorded. */
  async function deliver(m: MuteMessage) {
    const d = decide({
      message: m,
      rules,
      tags,
      directory: new MemoryDirectoryView(),
      holidays: defaultCalendars(),
      unmutes: await unmutes.inForce('t1'),
      throttle: new MemoryThrottleCounts(),
    });
    if (d.unmuteId)
      await unmutes.recordPass(pool, 't1', d.unmuteId, {
        messageId: m.messageId,
        recipientId: m.recipientId,
        sender: 'partner_staff:supplier-x/s1',
        senderCorpId: m.senderCorpId,
        sentAt: m.sentAt,
        otherwise: 'SILENT',
      });
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
      const timers2 = await TimerStore.create(pool2, schema);
      const unmutes2 = await UnmuteStore.create(pool2, schema, timers2, await Outbox.create(pool2, schema));
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
    expect(await unmutes.inForce('t1')).toEqual([]);
    expect(await deliver(message(4, T0 + 5 * H))).toBe('SILENT');
    const { rows } = await pool.query<{ type: string; data: Record<string, unknown> }>(
      `SELECT type, data FROM ${outbox.table} ORDER BY seq`,
    );
    expect(rows.map((r) => r.type)).toEqual([
      'mute.temporary_unmute_started.v1',
      'mute.temporary_unmute_ended.v1',
    ]);
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
    await unmutes.start({
      tenantId: 't1',
      unmuteId: 'u3',
      tagId: 'suppliers',
      tagName: '供应商',
      actorId: 'a',
      hours: 1,
      now: T0,
    });
    await expect(
      unmutes.start({
        tenantId: 't1',
        unmuteId: 'u3',
        tagId: 'suppliers',
        tagName: '供应商',
        actorId: 'a',
        hours: 1,
        now: T0,
      }),
    ).rejects.toMatchObject({
      code: 'MUTE.ALREADY_EXISTS',
    });
    await expect(unmutes.get('t1', 'nope')).rejects.toMatchObject({
      code: 'MUTE.NOT_FOUND',
      field: 'unmuteId',
    });
    expect(await unmutes.list('t1')).toHaveLength(1);
    expect(await outbox.unpublished()).toBe(1);
  });
});
