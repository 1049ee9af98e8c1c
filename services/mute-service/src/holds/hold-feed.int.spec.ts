import { randomUUID } from 'node:crypto';
import { PostgresEventStore, type EventStore } from '@tagguard/event-store';
import type { MuteMessage } from '@tagguard/mute-engine';
import { eventually, testInfra } from '@tagguard/testing';
import { Pool } from 'pg';
import { messageDecider, type RecordedDecision } from '../messages/domain/message.decider';
import { messageStream } from '../streams';
import { table } from '../timers/sql';
import { MuteWriter } from '../write/mute-writer';
import { EventStoreDigestSink } from './event-store-digest-sink';
import { HoldFeed } from './hold-feed';
import { HoldStore } from './hold-store';

// The holds and digests tables are projections (D110): dropped with the hold feed's checkpoint and fed again
// from the event store (MessageDecided, HeldMessageReleased, DigestReleased), they answer the same.
describe('hold feed: the holds and digests tables are a projection of the event store', () => {
  const pool = new Pool({ connectionString: testInfra().postgresUrl });
  const T = Date.parse('2026-03-11T01:00:00Z');
  let schema: string;
  let events: EventStore;
  let writer: MuteWriter;
  const feeds: HoldFeed[] = [];

  beforeEach(async () => {
    schema = `mute_holdfeed_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    events = await PostgresEventStore.connect({
      connectionString: testInfra().postgresUrl,
      schema: `${schema}_es`,
      listen: true,
      poolSize: 4,
    });
    writer = new MuteWriter(events);
  });
  afterEach(async () => {
    for (const f of feeds.splice(0)) await f.stop();
    await events.close();
  });
  afterAll(() => pool.end());

  const instance = async () => {
    const holds = await HoldStore.create(pool, schema, new EventStoreDigestSink(writer), writer);
    const feed = await HoldFeed.create(pool, schema, events, holds);
    await feed.start();
    feeds.push(feed);
    return holds;
  };

  /** A HOLD decision as the decision path records it. */
  async function holdDecided(messageId: string, recipientId: string, i: number) {
    const message: MuteMessage = {
      tenantId: 't1',
      messageId,
      recipientId,
      sender: { kind: 'partner_staff', corpId: 'brand-y', staffId: 's1' },
      senderCorpId: 'brand-y',
      urgency: 'normal',
      sentAt: T - 3_600_000 + i,
    };
    const decision: RecordedDecision = {
      message,
      outcome: 'HOLD',
      releaseAt: T,
      reasons: [],
      winner: { tier: 'most_specific_rule', id: 'hold-brand-y', why: "rule 'hold brand Y' (hold)" },
      throttles: [],
      unmuteId: null,
      timeZone: 'Asia/Shanghai',
      calendarGaps: [],
      snapshot: '0',
      decidedAt: T - 3_600_000 + i,
    };
    await writer.write(
      { stream: messageStream('t1', messageId), decider: messageDecider },
      { type: 'RecordDecision', data: decision },
      { tenantId: 't1', actorId: 'ingest' },
    );
  }

  it('Given holds released in two digests and holds still held, When the tables and the checkpoint are dropped and the feed restarts, Then the same digests and holds come back', async () => {
    const holds = await instance();
    for (let i = 0; i < 3; i += 1) await holdDecided(`a${i}`, 'alice', i);
    await holdDecided('b0', 'bob', 10);
    await eventually(async () => expect(await holds.held('t1')).toHaveLength(4), 30_000, 50);
    const d1 = await holds.release('t1', 'alice', T, { trigger: 'test', releaseKey: 'k1' });
    await holdDecided('a3', 'alice', 3);
    await eventually(async () => expect(await holds.held('t1', 'alice')).toHaveLength(1), 30_000, 50);
    const d2 = await holds.release('t1', 'alice', T, { trigger: 'test' });
    expect([d1?.messageIds, d2?.messageIds]).toEqual([['a0', 'a1', 'a2'], ['a3']]);
    // Every event of the releases applied (the feed also reads HeldMessageReleased and DigestReleased).
    const head = await events.headPosition();
    await eventually(
      async () => {
        const { rows } = await pool.query<{ commit_pos: string }>(
          `SELECT commit_pos::text FROM ${table(schema, 'mute_flow_checkpoints')} WHERE name = 'hold-feed'`,
        );
        expect(BigInt(rows[0]?.commit_pos ?? '-1')).toBeGreaterThanOrEqual(head.commit);
      },
      30_000,
      50,
    );
    const answers = async (h: HoldStore) => ({
      alice: await h.listDigests('t1', 'alice'),
      bob: await h.listDigests('t1', 'bob'),
      held: await h.held('t1'),
    });
    const before = await answers(holds);
    expect(before.alice.map((d) => d.digestNo)).toEqual([1, 2]);
    expect(before.held.map((h) => h.messageId)).toEqual(['b0']);

    for (const f of feeds.splice(0)) await f.stop();
    await pool.query(`DROP TABLE ${table(schema, 'mute_holds')}, ${table(schema, 'mute_digests')}`);
    await pool.query(`DELETE FROM ${table(schema, 'mute_flow_checkpoints')} WHERE name = 'hold-feed'`);
    const rebuilt = await instance();
    expect(await answers(rebuilt)).toEqual(before);
    // A retry of the first release (its key) still answers its digest, and nothing is released twice.
    expect(await rebuilt.release('t1', 'alice', T, { releaseKey: 'k1' })).toEqual(d1);
    expect(await rebuilt.release('t1', 'alice', T)).toBeNull();
  });
});
