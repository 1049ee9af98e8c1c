import { EventEmitter } from 'node:events';
import { comparePositions, type GlobalPosition, type RecordedEvent } from './envelope';
import { pollingSubscription } from './polling-subscription';

// An in-memory log standing in for the store's read: the subscription's own ordering logic is under test.
const log: RecordedEvent[] = Array.from({ length: 7 }, (_, i) => ({
  id: `e${i}`,
  type: 'Happened',
  schemaVersion: 1,
  data: { i },
  metadata: { tenantId: 't', actorId: 'a', correlationId: 'c', occurredAt: '2026-12-01T00:00:00Z' },
  streamId: 'thing-1',
  revision: BigInt(i),
  position: { commit: BigInt(i + 1), prepare: 0n },
  recordedAt: new Date(0),
}));

function reader(): { read(after: GlobalPosition, max: number): Promise<RecordedEvent[]>; reads: bigint[] } {
  const reads: bigint[] = [];
  return {
    reads,
    read: (after, max) => {
      reads.push(after.commit);
      return Promise.resolve(log.filter((e) => comparePositions(e.position, after) > 0).slice(0, max));
    },
  };
}

const gate = (): { wait: Promise<void>; open(): void } => {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
};

describe('polling subscription', () => {
  it('given a full batch, when the handler is still at work, then the next batch is already being read', async () => {
    const store = reader();
    const first = gate();
    const seen: string[][] = [];
    let caughtUp!: () => void;
    const done = new Promise<void>((resolve) => (caughtUp = resolve));
    const subscription = pollingSubscription({
      read: store.read,
      wake: new EventEmitter(),
      pollIntervalMs: 10_000,
      batchSize: 3,
      onEvents: async (events) => {
        seen.push(events.map((e) => e.id));
        if (seen.length === 1) await first.wait;
      },
      onCaughtUp: () => caughtUp(),
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.reads).toEqual([0n, 3n]);
    first.open();
    await done;
    await subscription.stop();
    expect(seen).toEqual([['e0', 'e1', 'e2'], ['e3', 'e4', 'e5'], ['e6']]);
  });

  it('given a read ahead, when the handler fails, then nothing after the failed batch is delivered', async () => {
    const store = reader();
    const seen: string[][] = [];
    const subscription = pollingSubscription({
      read: store.read,
      wake: new EventEmitter(),
      pollIntervalMs: 10_000,
      batchSize: 3,
      onEvents: (events) => {
        seen.push(events.map((e) => e.id));
        return Promise.reject(new Error('handler failed'));
      },
    });
    await expect(subscription.done).rejects.toThrow('handler failed');
    expect(seen).toEqual([['e0', 'e1', 'e2']]);
  });
});
