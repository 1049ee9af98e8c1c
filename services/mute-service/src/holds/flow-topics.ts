/**
 * A digest as the outbox sink writes it (hold-store's default sink, used where no event store delivers: the
 * hold store's own specs). In the service each message's delivery is its MessageDelivered (D98).
 */
export { MUTE_DELIVERIES_TOPIC_V1 as MUTE_DELIVERIES_TOPIC } from '@tagguard/contracts';

/** One digest: a recipient's held messages released together, in the order they were held. */
export type MessagesReleasedV1 = {
  tenantId: string;
  recipientId: string;
  digestId: string;
  /** 1, 2, 3 … per recipient: a consumer sees a gap or a repeat at once. */
  digestNo: number;
  releasedAt: string;
  messages: {
    messageId: string;
    heldSeq: string;
    sentAt: string;
    reason: string;
    message: Record<string, unknown>;
  }[];
};
