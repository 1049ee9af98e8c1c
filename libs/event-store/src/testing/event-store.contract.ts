import { randomUUID } from 'node:crypto';
import { eventually } from '@tagguard/testing';
import { comparePositions, type EventEnvelope, type RecordedEvent } from '../envelope';
import { EventIdConflictError, StreamNotFoundError, WrongExpectedRevisionError } from '../errors';
import type { EventStore } from '../event-store.port';

/** A category of its own per test keeps global reads of a shared store isolated. */
const freshCategory = (): string => `c${randomUUID().replace(/-/g, '').slice(0, 12)}`;

export function anEvent(type = 'TagCreated', data: Record<string, unknown> = {}): EventEnvelope {
  return {
    id: randomUUID(),
    type,
    schemaVersion: 1,
    data,
    metadata: {
      tenantId: 'tenant-a',
      actorId: 'user-1',
      correlationId: randomUUID(),
      occurredAt: new Date().toISOString(),
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    },
  };
}

const ids = (events: RecordedEvent[]): string[] => events.map((e) => e.id);

/** The behaviour every EventStore adapter must have, run against each one on a real server. */
export function eventStoreContract(connect: () => Promise<EventStore>): void {
  let store: EventStore;
  beforeAll(async () => {
    store = await connect();
  });
  afterAll(() => store.close());

  describe('append and read a stream', () => {
    it('given no stream, when appending with no_stream, then revisions start at 0 and the events read back whole', async () => {
      const stream = `${freshCategory()}-1`;
      const events = [
        anEvent('TagCreated', { name: 'VIP客户' }),
        anEvent('TagRenamed', { name: '意向客户' }),
      ];

      const result = await store.append(stream, events, 'no_stream');

      expect(result.nextRevision).toBe(1n);
      const read = await store.readStream(stream);
      expect(read.map((e) => [e.id, e.type, e.revision, e.data, e.schemaVersion, e.streamId])).toEqual([
        [events[0]!.id, 'TagCreated', 0n, { name: 'VIP客户' }, 1, stream],
        [events[1]!.id, 'TagRenamed', 1n, { name: '意向客户' }, 1, stream],
      ]);
      expect(read[0]!.metadata).toEqual(events[0]!.metadata);
      expect(read[0]!.recordedAt).toBeInstanceOf(Date);
      expect(comparePositions(read[1]!.position, result.position)).toBe(0);
    });

    it('given a stream at revision 1, when appending with expected 1, then it continues at 2', async () => {
      const stream = `${freshCategory()}-1`;
      await store.append(stream, [anEvent(), anEvent()], 'no_stream');
      const result = await store.append(stream, [anEvent('TagRenamed')], 1n);
      expect(result.nextRevision).toBe(2n);
      await expect(store.append(stream, [anEvent()], 'stream_exists')).resolves.toMatchObject({
        nextRevision: 3n,
      });
      await expect(store.append(stream, [anEvent()], 'any')).resolves.toMatchObject({ nextRevision: 4n });
    });

    it.each([
      ['no_stream on an existing stream', 'no_stream' as const, true],
      ['a stale revision', 0n, true],
      ['a future revision', 5n, true],
      ['stream_exists on a missing stream', 'stream_exists' as const, false],
      ['an exact revision on a missing stream', 0n, false],
    ])('rejects %s with WrongExpectedRevision and writes nothing', async (_name, expected, existing) => {
      const stream = `${freshCategory()}-1`;
      if (existing) await store.append(stream, [anEvent(), anEvent()], 'no_stream');
      const before = existing ? (await store.readStream(stream)).length : 0;

      await expect(store.append(stream, [anEvent()], expected)).rejects.toBeInstanceOf(
        WrongExpectedRevisionError,
      );

      if (existing) expect(await store.readStream(stream)).toHaveLength(before);
      else await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
    });

    it('lets exactly one of ten concurrent writers with the same expected revision win', async () => {
      const stream = `${freshCategory()}-1`;
      await store.append(stream, [anEvent()], 'no_stream');
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => store.append(stream, [anEvent('TagRenamed')], 0n)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected).toHaveLength(9);
      for (const r of rejected) expect(r.reason).toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.readStream(stream)).toHaveLength(2);
    });

    it('lets exactly one of concurrent creators of a new stream win', async () => {
      const stream = `${freshCategory()}-1`;
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => store.append(stream, [anEvent()], 'no_stream')),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(await store.readStream(stream)).toHaveLength(1);
    });

    it('throws StreamNotFound for a stream that never existed', async () => {
      await expect(store.readStream(`${freshCategory()}-none`)).rejects.toBeInstanceOf(StreamNotFoundError);
    });
  });

  describe('idempotent appends', () => {
    it('given events already appended, when the same ids are appended again, then nothing is duplicated and the first result returns', async () => {
      const stream = `${freshCategory()}-1`;
      const events = [anEvent(), anEvent('TagRenamed')];
      const first = await store.append(stream, events, 'no_stream');

      const retry = await store.append(stream, events, 'no_stream');

      expect(retry.nextRevision).toBe(first.nextRevision);
      expect(comparePositions(retry.position, first.position)).toBe(0);
      expect(ids(await store.readStream(stream))).toEqual(events.map((e) => e.id));
    });

    it('answers concurrent retries of one append with one write', async () => {
      const stream = `${freshCategory()}-1`;
      const events = [anEvent()];
      const results = await Promise.all(Array.from({ length: 5 }, () => store.append(stream, events, 'any')));
      expect(new Set(results.map((r) => r.nextRevision))).toEqual(new Set([0n]));
      expect(await store.readStream(stream)).toHaveLength(1);
    });

    it('refuses an id already stored in another stream', async () => {
      const event = anEvent();
      await store.append(`${freshCategory()}-1`, [event], 'no_stream');
      await expect(store.append(`${freshCategory()}-2`, [event], 'no_stream')).rejects.toBeInstanceOf(
        EventIdConflictError,
      );
    });
  });

  describe('reading options', () => {
    let stream: string;
    let events: EventEnvelope[];
    beforeAll(async () => {
      stream = `${freshCategory()}-1`;
      events = Array.from({ length: 5 }, (_, i) => anEvent('TagRenamed', { i }));
      await store.append(stream, events, 'no_stream');
    });

    it('reads backwards from the end', async () => {
      expect(ids(await store.readStream(stream, { direction: 'backwards' }))).toEqual(
        events.map((e) => e.id).reverse(),
      );
    });

    it('reads a revision window and a maximum count', async () => {
      const window = await store.readStream(stream, { fromRevision: 1n, toRevision: 3n });
      expect(window.map((e) => e.revision)).toEqual([1n, 2n, 3n]);
      const back = await store.readStream(stream, { direction: 'backwards', fromRevision: 3n, maxCount: 2 });
      expect(back.map((e) => e.revision)).toEqual([3n, 2n]);
    });

    it('reads the stream as of a past moment', async () => {
      const s = `${freshCategory()}-1`;
      await store.append(s, [anEvent('TagCreated')], 'no_stream');
      const [created] = await store.readStream(s);
      await new Promise((r) => setTimeout(r, 20));
      await store.append(s, [anEvent('TagRenamed')], 0n);
      const asOf = await store.readStream(s, { toTimestamp: created!.recordedAt });
      expect(asOf.map((e) => e.type)).toEqual(['TagCreated']);
    });
  });

  describe('the global log', () => {
    it('reads every category in append order, after a position, up to a position, filtered', async () => {
      const category = freshCategory();
      const a = [anEvent('TagCreated'), anEvent('TagRenamed')];
      const b = [anEvent('TagCreated')];
      await store.append(`${category}-a`, a, 'no_stream');
      await store.append(`${category}-b`, b, 'no_stream');
      await store.append(`${freshCategory()}-other`, [anEvent()], 'no_stream');

      const all = await store.readAll({ filter: { categories: [category] } });
      expect(ids(all)).toEqual([...a, ...b].map((e) => e.id));

      const after = await store.readAll({ after: all[0]!.position, filter: { categories: [category] } });
      expect(ids(after)).toEqual([a[1]!.id, b[0]!.id]);

      const upTo = await store.readAll({ to: all[1]!.position, filter: { categories: [category] } });
      expect(ids(upTo)).toEqual(a.map((e) => e.id));

      const created = await store.readAll({ filter: { categories: [category], eventTypes: ['TagCreated'] } });
      expect(ids(created)).toEqual([a[0]!.id, b[0]!.id]);

      for (let i = 1; i < all.length; i++)
        expect(comparePositions(all[i - 1]!.position, all[i]!.position)).toBe(-1);
      expect(comparePositions(await store.headPosition(), all[2]!.position)).toBeGreaterThanOrEqual(0);
    });
  });

  describe('subscriptions', () => {
    it('catches up from a checkpoint, reports caught-up, then delivers live appends in order', async () => {
      const category = freshCategory();
      const early = [anEvent(), anEvent(), anEvent()];
      for (const [i, e] of early.entries()) await store.append(`${category}-${i}`, [e], 'no_stream');
      const [first] = await store.readAll({ filter: { categories: [category] } });

      const received: RecordedEvent[] = [];
      let caughtUp = 0;
      const subscription = store.subscribe({
        after: first!.position,
        filter: { categories: [category] },
        onEvents: async (events) => void received.push(...events),
        onCaughtUp: () => caughtUp++,
        batchSize: 2,
      });
      try {
        await eventually(() => expect(caughtUp).toBe(1));
        expect(ids(received)).toEqual([early[1]!.id, early[2]!.id]);

        const live = [anEvent('TagDeleted'), anEvent('TagRestored')];
        await store.append(`${category}-live`, live, 'no_stream');
        await eventually(() =>
          expect(ids(received)).toEqual([early[1]!.id, early[2]!.id, ...live.map((e) => e.id)]),
        );
      } finally {
        await subscription.stop();
      }
    });

    it('stops on a handler failure and reports it', async () => {
      const category = freshCategory();
      await store.append(`${category}-1`, [anEvent()], 'no_stream');
      const failure = new Error('projection broke');
      const errors: unknown[] = [];
      const subscription = store.subscribe({
        filter: { categories: [category] },
        onEvents: async () => {
          throw failure;
        },
        onError: (e) => errors.push(e),
      });
      await expect(subscription.done).rejects.toBe(failure);
      expect(errors).toEqual([failure]);
    });
  });

  describe('soft delete', () => {
    it('hides the stream, keeps its events in the global log, and lets it start again after its last revision', async () => {
      const category = freshCategory();
      const stream = `${category}-1`;
      const events = [anEvent(), anEvent('TagRenamed')];
      await store.append(stream, events, 'no_stream');

      await store.deleteStream(stream, 1n);

      await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
      expect(ids(await store.readAll({ filter: { categories: [category] } }))).toEqual(
        events.map((e) => e.id),
      );
      await expect(store.append(stream, [anEvent()], 1n)).rejects.toBeInstanceOf(WrongExpectedRevisionError);

      const again = anEvent('TagCreated');
      await expect(store.append(stream, [again], 'no_stream')).resolves.toMatchObject({ nextRevision: 2n });
      expect((await store.readStream(stream)).map((e) => [e.id, e.revision])).toEqual([[again.id, 2n]]);
    });

    it('refuses to delete with a stale expected revision', async () => {
      const stream = `${freshCategory()}-1`;
      await store.append(stream, [anEvent(), anEvent()], 'no_stream');
      await expect(store.deleteStream(stream, 0n)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.readStream(stream)).toHaveLength(2);
    });
  });
}
