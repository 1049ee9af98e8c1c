import { randomUUID } from 'node:crypto';
import { PostgresEventStore, type EventStore } from '@tagguard/event-store';
import { testInfra } from '@tagguard/testing';
import { Pool } from 'pg';
import { Outbox } from '../timers/outbox';
import { MuteWriter } from '../write/mute-writer';
import { HoldStore, type HoldInput } from './hold-store';

// The digest races public trackers report (novu#2569 duplicates under concurrent triggers, novu#12373 a batch
// lost when a retry merged into itself), on real PostgreSQL.
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('hold store: a release is one transaction', () => {
  const pool = new Pool({ connectionString: testInfra().postgresUrl, max: 20 });
  const T = Date.parse('2026-03-11T01:00:00Z');
  let schema: string;
  let outbox: Outbox;
  let store: HoldStore;
  let events: EventStore;
  const tenantId = 't1';

  beforeEach(async () => {
    schema = `mute_holds_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    outbox = await Outbox.create(pool, schema);
    events = await PostgresEventStore.connect({
      connectionString: testInfra().postgresUrl,
      schema: `${schema}_es`,
      listen: false,
      poolSize: 8,
    });
    // The digests are recorded in this event store (muteDigest-*); the outbox sink stands in for the deliveries.
    store = await HoldStore.create(pool, schema, outbox, new MuteWriter(events));
  });
  afterEach(() => events.close());
  afterAll(() => pool.end());
  // Warm connections: opening them one by one would serialise the "concurrent" triggers.
  beforeAll(() => Promise.all(Array.from({ length: 16 }, () => pool.query('SELECT pg_sleep(0.05)'))));

  const held = (i: number, recipientId = 'alice', releaseAt = T): HoldInput => ({
    tenantId,
    messageId: `m${String(i).padStart(4, '0')}`,
    recipientId,
    releaseAt,
    sentAt: T - 3_600_000 + i,
    message: { sender: { kind: 'partner_staff', corpId: 'brand-y' }, n: i },
    reason: "throttle '活动期 3/h'",
    throttleKeys: ['r-campaign|brand-y'],
  });

  async function outboxRows() {
    const { rows } = await pool.query<{
      event_id: string;
      data: { digestNo: number; messages: { messageId: string }[] };
    }>(`SELECT event_id, data FROM ${outbox.table} ORDER BY seq`);
    return rows;
  }

  it('Given 50 held messages, When 12 triggers release at once, Then one digest holds all 50 in order and one delivery is written', async () => {
    for (let i = 0; i < 50; i += 1) await store.hold(pool, held(i));
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, k) =>
        k % 2 === 0
          ? // A slow commit widens the race: every trigger reads the held rows before any commits.
            store.release(tenantId, 'alice', T, { trigger: `grpc-${k}`, beforeCommit: () => sleep(40) })
          : store.releaseDue(T).then((d) => d[0] ?? null),
      ),
    );
    const digests = results.filter((d) => d !== null);
    expect(digests).toHaveLength(1);
    expect(digests[0]!.messageIds).toEqual(Array.from({ length: 50 }, (_, i) => held(i).messageId));
    const rows = await outboxRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.event_id).toBe(digests[0]!.digestId);
    expect(rows[0]!.data.messages.map((m) => m.messageId)).toEqual(digests[0]!.messageIds);
    expect(await store.held(tenantId)).toEqual([]);
  });

  it('Given a release that committed, When the caller retries with its key, Then it gets the same digest back, not an empty or merged one', async () => {
    for (let i = 0; i < 5; i += 1) await store.hold(pool, held(i));
    const first = await store.release(tenantId, 'alice', T, { releaseKey: 'req-1' });
    await store.hold(pool, held(5));
    const retry = await store.release(tenantId, 'alice', T, { releaseKey: 'req-1' });
    expect(retry).toEqual(first);
    expect(first!.messageIds).toHaveLength(5);
    // The message held after it is not swallowed by the retry: it is the next digest's.
    const next = await store.release(tenantId, 'alice', T, { releaseKey: 'req-2' });
    expect(next).toMatchObject({ digestNo: 2, messageIds: ['m0005'] });
    expect((await outboxRows()).map((r) => r.data.digestNo)).toEqual([1, 2]);
  });

  it('Given a release that fails before COMMIT, When it is retried, Then every message is released once, none lost', async () => {
    for (let i = 0; i < 8; i += 1) await store.hold(pool, held(i));
    await expect(
      store.release(tenantId, 'alice', T, {
        releaseKey: 'req-1',
        beforeCommit: async () => {
          throw new Error('connection lost mid-release');
        },
      }),
    ).rejects.toThrow('connection lost');
    expect(await store.held(tenantId)).toHaveLength(8);
    expect(await outboxRows()).toEqual([]);
    const retried = await store.release(tenantId, 'alice', T, { releaseKey: 'req-1' });
    expect(retried).toMatchObject({ digestNo: 1 });
    expect(retried!.messageIds).toHaveLength(8);
    expect(await outboxRows()).toHaveLength(1);
  });

  it('Given a message held while a release is in flight, When the release commits, Then the new one waits for the next digest', async () => {
    for (let i = 0; i < 3; i += 1) await store.hold(pool, held(i));
    const d1 = await store.release(tenantId, 'alice', T, {
      beforeCommit: async () => {
        await store.hold(pool, held(3));
      },
    });
    expect(d1!.messageIds).toEqual(['m0000', 'm0001', 'm0002']);
    const d2 = await store.release(tenantId, 'alice', T);
    expect(d2).toMatchObject({ digestNo: 2, messageIds: ['m0003'] });
  });

  it('Given a message held twice (a retried decision), When released, Then it is delivered once', async () => {
    const a = await store.hold(pool, held(1));
    const b = await store.hold(pool, held(1));
    expect([a.created, b.created, a.seq === b.seq]).toEqual([true, false, true]);
    expect((await store.release(tenantId, 'alice', T))!.messageIds).toEqual(['m0001']);
  });

  it('Given messages not yet due, When a trigger fires early, Then nothing is released', async () => {
    await store.hold(pool, held(1, 'alice', T + 3_600_000));
    expect(await store.release(tenantId, 'alice', T)).toBeNull();
    expect(await store.releaseDue(T)).toEqual([]);
    expect(await store.held(tenantId)).toHaveLength(1);
  });

  it('Given writers holding and triggers releasing at once for 3 recipients, When all settle, Then every message is in exactly one digest, in hold order', async () => {
    const recipients = ['alice', 'bob', 'carol'];
    let stop = false;
    const triggers = Array.from({ length: 4 }, async (_, k) => {
      while (!stop) {
        if (k === 0) await store.releaseDue(T);
        else await store.release(tenantId, recipients[k % 3]!, T, { trigger: `t${k}` });
      }
    });
    const writers = recipients.map(async (r, w) => {
      for (let i = 0; i < 60; i += 1) await store.hold(pool, held(w * 1000 + i, r));
    });
    await Promise.all(writers);
    stop = true;
    await Promise.all(triggers);
    await store.releaseDue(T);
    for (const [w, r] of recipients.entries()) {
      const digests = await store.listDigests(tenantId, r);
      expect(digests.map((d) => d.digestNo)).toEqual(digests.map((_, i) => i + 1));
      const delivered = digests.flatMap((d) => d.messageIds);
      expect(delivered).toEqual(Array.from({ length: 60 }, (_, i) => held(w * 1000 + i).messageId));
    }
    const rows = await outboxRows();
    const all = rows.flatMap((row) => row.data.messages.map((m) => m.messageId));
    expect(all).toHaveLength(180);
    expect(new Set(all).size).toBe(180);
  }, 60_000);
});
