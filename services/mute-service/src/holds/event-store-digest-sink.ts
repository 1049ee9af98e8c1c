import type { PoolClient } from 'pg';
import { messageDecider } from '../messages/domain/message.decider';
import { messageStream } from '../streams';
import type { MuteWriter } from '../write/mute-writer';
import type { MessagesReleasedV1 } from './flow-topics';
import type { Digest, DigestSink } from './hold-store';

/**
 * A digest's delivery through mute-service's one write path: each held message's stream gets ReleaseHeld
 * (HeldMessageReleased + its one MessageDelivered, which the relay publishes on the deliveries topic), in hold
 * order, while the release transaction holds the recipient's lock. A crash part-way leaves the digest
 * uncommitted; the retried release (same digest id) finds the first messages delivered (the decider answers
 * nothing for them) and delivers the rest: each message once, in order. The digest alerts once: its first
 * message carries the alert, the others are delivered silently with it.
 */
export class EventStoreDigestSink implements DigestSink {
  constructor(private readonly writer: MuteWriter) {}

  async deliver(_tx: PoolClient, digest: Digest, data: MessagesReleasedV1): Promise<void> {
    for (const [i, messageId] of digest.messageIds.entries())
      await this.writer.write(
        { stream: messageStream(digest.tenantId, messageId), decider: messageDecider },
        {
          type: 'ReleaseHeld',
          data: { releaseId: digest.digestId, releasedAt: digest.releasedAt, alert: i === 0 },
        },
        { tenantId: digest.tenantId, actorId: 'mute-service.release', correlationId: data.digestId },
      );
  }
}
