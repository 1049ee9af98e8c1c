/**
 * What the flow features publish (D-G1). Deliveries go on mute-service's deliveries topic (issue 13 item 1);
 * unmute reports and automation mutes on its public events topic, for the audit trail.
 */
export const MUTE_DELIVERIES_TOPIC = 'mute-service.public.deliveries.v1';
export const MUTE_FLOW_EVENTS_TOPIC = 'mute-service.public.mute.events.v1';

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
