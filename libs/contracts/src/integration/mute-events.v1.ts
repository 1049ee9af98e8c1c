import { topicName } from '@tagguard/messaging';

/**
 * mute-service's Kafka contracts (issue 13), version 1; a breaking change gets a new topic.
 *
 * - MUTE_MESSAGES_TOPIC_V1 (inbound): messages to decide, produced by the messaging platform's gateway.
 *   Key: `<tenantId>/<recipientId>`. Type `mute.message_received.v1`, payload MuteMessageV1. A message is
 *   decided once per (tenant, messageId): a redelivery or a second copy changes nothing.
 * - MUTE_DELIVERIES_TOPIC_V1 (outbound): exactly one delivery per decided message — NOTIFY or SILENT at
 *   once, a HOLD when it is released. Key `<tenantId>/<recipientId>` (one recipient's deliveries in order).
 * - MUTE_EVENTS_TOPIC_V1 (outbound, for audit): rules and green channels changed, decisions, releases,
 *   temporary unmutes started and ended. Key: the tenant and the object (`<tenantId>/<kind>/<id>`).
 */
export const MUTE_MESSAGES_TOPIC_V1 = topicName({
  service: 'mute-service',
  visibility: 'public',
  aggregate: 'message',
  event: 'received',
  version: 1,
});

/** The name for the deliveries topic (not of the <service>.<visibility>.<aggregate>.<event> form). */
export const MUTE_DELIVERIES_TOPIC_V1 = 'mute-service.public.deliveries.v1';

export const MUTE_EVENTS_TOPIC_V1 = topicName({
  service: 'mute-service',
  visibility: 'public',
  aggregate: 'mute',
  event: 'events',
  version: 1,
});

export const MUTE_MESSAGE_RECEIVED_V1 = 'mute.message_received.v1';
export const MUTE_DELIVERY_V1 = 'mute.delivery.v1';

export type MuteSenderV1 =
  | { kind: 'partner_staff'; corpId: string; staffId: string }
  | { kind: 'external_customer'; customerId: string }
  | { kind: 'employee'; employeeId: string };

export type MuteMessageV1 = {
  tenantId: string;
  messageId: string;
  recipientId: string;
  sender: MuteSenderV1;
  /** The sender's enterprise; null when none. */
  senderCorpId: string | null;
  urgency: 'normal' | 'urgent';
  /** RFC 3339. */
  sentAt: string;
};

export type MuteOutcomeV1 = 'NOTIFY' | 'SILENT' | 'HOLD';

export type MuteDeliveryV1 = {
  tenantId: string;
  messageId: string;
  recipientId: string;
  /** true: with an alert (NOTIFY, or a released hold whose release alerts); false: delivered silently. */
  alert: boolean;
  /** The decision's outcome (HOLD for a released message). */
  outcome: MuteOutcomeV1;
  decidedAt: string;
  deliveredAt: string;
  /** A released hold: the release (digest) it went out with; null for an immediate delivery. */
  releaseId: string | null;
};

/** One rule that applied, as DecideService answers it. */
export type MuteReasonV1 = {
  source: 'green_channel' | 'temporary_unmute' | 'rule';
  id: string;
  name: string;
  tier: string;
  effect: string;
  specificity: number[] | null;
  detail: string;
  won: boolean;
};

type Base = { tenantId: string; revision: string; position: string };

export type MuteIntegrationEventV1 =
  /** The rule's whole state after the change (removed: true once removed). */
  | {
      type: 'mute.rule_changed.v1';
      data: Base & { ruleId: string; rule: unknown; removed: boolean; by: string };
    }
  | {
      type: 'mute.green_channel_changed.v1';
      data: Base & { channelId: string; channel: unknown; removed: boolean; by: string };
    }
  /** A recipient's own IANA zone (null: back to the tenant's default, Asia/Shanghai). */
  | {
      type: 'mute.recipient_time_zone_changed.v1';
      data: Base & { employeeId: string; timeZone: string | null; by: string };
    }
  | {
      type: 'mute.message_decided.v1';
      data: Base & {
        messageId: string;
        recipientId: string;
        outcome: MuteOutcomeV1;
        releaseAt: string | null;
        winner: { tier: string; id: string | null; why: string };
        reasons: MuteReasonV1[];
        unmuteId: string | null;
        snapshot: string;
      };
    }
  | {
      type: 'mute.message_released.v1';
      data: Base & { messageId: string; recipientId: string; releaseId: string; releasedAt: string };
    }
  | {
      type: 'mute.temporary_unmute_started.v1';
      data: Base & { unmuteId: string; tagId: string; actorId: string; startsAt: string; endsAt: string };
    }
  | {
      type: 'mute.temporary_unmute_ended.v1';
      /** `report`: the operation report (who, what, when, how long, the messages let through). */
      data: Base & {
        unmuteId: string;
        tagId: string;
        endedAt: string;
        messagesLetThrough: number;
        report?: unknown;
      };
    }
  /** The store-visit automation muted a customer who did not buy within the wait (its `from`/`until`). */
  | {
      type: 'mute.customer_muted_by_automation.v1';
      data: Base & { customerId: string; muteId: string; visitId: string; from: string; until: string };
    }
  | {
      type: 'mute.automation_mute_lifted.v1';
      data: Base & { customerId: string; muteId: string; at: string; reason: 'purchase' | 'expired' };
    };

export const MUTE_INTEGRATION_TYPES_V1: readonly MuteIntegrationEventV1['type'][] = [
  'mute.rule_changed.v1',
  'mute.green_channel_changed.v1',
  'mute.recipient_time_zone_changed.v1',
  'mute.message_decided.v1',
  'mute.message_released.v1',
  'mute.temporary_unmute_started.v1',
  'mute.temporary_unmute_ended.v1',
  'mute.customer_muted_by_automation.v1',
  'mute.automation_mute_lifted.v1',
];

const TYPES = new Set<string>(MUTE_INTEGRATION_TYPES_V1);

/** Validates an inbound mute-service event's type and envelope fields (audit-service's consumer). */
export function parseMuteIntegrationEventV1(type: string, data: unknown): MuteIntegrationEventV1 {
  if (!TYPES.has(type)) throw new Error(`unknown mute integration event type "${type}"`);
  const d = data as Record<string, unknown>;
  for (const field of ['tenantId', 'revision', 'position'])
    if (typeof d?.[field] !== 'string') throw new Error(`${type}: field "${field}" must be a string`);
  return { type, data: d } as MuteIntegrationEventV1;
}

/** A message to decide that does not validate; `field` names the payload field at fault. */
export class MuteMessageInvalidError extends Error {
  readonly code = 'MUTE.INVALID_ARGUMENT';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'MuteMessageInvalidError';
  }
}

const text = (d: Record<string, unknown>, field: string, path = field): string => {
  const v = d[field];
  if (typeof v !== 'string' || v.length === 0 || v.length > 256)
    throw new MuteMessageInvalidError(path, 'must be a non-empty string of at most 256 characters');
  return v;
};

/** Validates one inbound message of MUTE_MESSAGES_TOPIC_V1; a bad one throws naming the field. */
export function parseMuteMessageV1(type: string, data: unknown): MuteMessageV1 {
  if (type !== MUTE_MESSAGE_RECEIVED_V1)
    throw new MuteMessageInvalidError('type', `must be ${MUTE_MESSAGE_RECEIVED_V1}, not "${type}"`);
  if (typeof data !== 'object' || data === null)
    throw new MuteMessageInvalidError('data', 'must be an object');
  const d = data as Record<string, unknown>;
  const s = d['sender'];
  if (typeof s !== 'object' || s === null) throw new MuteMessageInvalidError('sender', 'must be an object');
  const sd = s as Record<string, unknown>;
  let sender: MuteSenderV1;
  if (sd['kind'] === 'partner_staff')
    sender = {
      kind: 'partner_staff',
      corpId: text(sd, 'corpId', 'sender.corpId'),
      staffId: text(sd, 'staffId', 'sender.staffId'),
    };
  else if (sd['kind'] === 'external_customer')
    sender = { kind: 'external_customer', customerId: text(sd, 'customerId', 'sender.customerId') };
  else if (sd['kind'] === 'employee')
    sender = { kind: 'employee', employeeId: text(sd, 'employeeId', 'sender.employeeId') };
  else
    throw new MuteMessageInvalidError('sender.kind', 'must be partner_staff, external_customer or employee');
  const corp = d['senderCorpId'];
  if (corp !== null && corp !== undefined && (typeof corp !== 'string' || corp.length > 256))
    throw new MuteMessageInvalidError('senderCorpId', 'must be a string or null');
  const urgency = d['urgency'] ?? 'normal';
  if (urgency !== 'normal' && urgency !== 'urgent')
    throw new MuteMessageInvalidError('urgency', 'must be normal or urgent');
  const sentAt = text(d, 'sentAt');
  if (Number.isNaN(Date.parse(sentAt)))
    throw new MuteMessageInvalidError('sentAt', 'must be an RFC 3339 instant');
  return {
    tenantId: text(d, 'tenantId'),
    messageId: text(d, 'messageId'),
    recipientId: text(d, 'recipientId'),
    sender,
    senderCorpId: typeof corp === 'string' && corp.length > 0 ? corp : null,
    urgency,
    sentAt,
  };
}
