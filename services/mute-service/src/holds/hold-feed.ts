import type { EventStore, RecordedEvent } from '@tagguard/event-store';
import type { ComponentHandle } from '@tagguard/telemetry';
import type { Pool, PoolClient } from 'pg';
import type { RecordedDecision } from '../messages/domain/message.decider';
import { ReadModelFeed } from '../projections/read-model-feed';
import { DIGEST_CATEGORY, MESSAGE_CATEGORY } from '../streams';
import type { DigestReleasedData } from './domain/digest-stream.decider';
import type { HoldStore } from './hold-store';

/**
 * Feeds the hold store from mute-service's event store, checkpointed in the transaction of its writes:
 * a HOLD (MessageDecided) becomes a held row, its release (HeldMessageReleased) marks it released, a digest
 * (DigestReleased, muteDigest-*) becomes a digest row, so both tables are projections (D110). The unmute
 * reports' lines are the unmute feed's (UnmuteStore). Fed from the store, not from the decision call, so a crash between
 * the decision's append and its hold cannot lose the hold. Writes are idempotent: instances may all run it.
 * A ReadModelFeed (checkpoint row `hold-feed`): a failed batch reopens the feed with backoff.
 */
export class HoldFeed {
  private constructor(private readonly feed: ReadModelFeed) {}

  static create(
    pool: Pool,
    schema: string,
    store: EventStore,
    holds: HoldStore,
    component?: ComponentHandle,
  ): HoldFeed {
    return new HoldFeed(
      new ReadModelFeed(pool, schema, store, {
        name: 'hold-feed',
        filter: {
          categories: [MESSAGE_CATEGORY, DIGEST_CATEGORY],
          eventTypes: ['MessageDecided', 'HeldMessageReleased', 'DigestReleased'],
        },
        apply: (tx, events) => apply(holds, tx, events),
        ...(component ? { component } : {}),
      }),
    );
  }

  start(): Promise<void> {
    return this.feed.start();
  }

  stop(): Promise<void> {
    return this.feed.stop();
  }
}

async function apply(holds: HoldStore, tx: PoolClient, events: RecordedEvent[]): Promise<void> {
  for (const e of events) {
    if (e.type === 'DigestReleased') {
      await holds.recordDigest(tx, e.data as DigestReleasedData);
      continue;
    }
    if (e.type === 'HeldMessageReleased') {
      const r = e.data as { messageId: string; releaseId: string };
      await holds.markReleased(tx, e.metadata.tenantId, r.messageId, r.releaseId);
      continue;
    }
    const d = e.data as RecordedDecision;
    const m = d.message;
    if (d.outcome === 'HOLD' && d.releaseAt !== null)
      await holds.hold(tx, {
        tenantId: m.tenantId,
        messageId: m.messageId,
        recipientId: m.recipientId,
        releaseAt: d.releaseAt,
        sentAt: m.sentAt,
        message: m as unknown as Record<string, unknown>,
        reason: d.winner.why,
        throttleKeys: d.throttles.map((t) => t.key),
      });
  }
}
