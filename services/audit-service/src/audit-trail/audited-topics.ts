import {
  ACCESS_DENIED_INTEGRATION_TYPES_V1,
  DIRECTORY_ACCESS_DENIED_TOPIC_V1,
  DIRECTORY_EVENTS_TOPIC_V1,
  DIRECTORY_INTEGRATION_TYPES_V1,
  DOWNSTREAM_EVENTS_TOPIC_V1,
  DOWNSTREAM_INTEGRATION_TYPES_V1,
  MUTE_ACCESS_DENIED_TOPIC_V1,
  MUTE_COMMERCE_EVENTS_TOPIC_V1,
  MUTE_COMMERCE_TYPES_V1,
  MUTE_DELIVERIES_TOPIC_V1,
  MUTE_EVENTS_TOPIC_V1,
  MUTE_INTEGRATION_TYPES_V1,
  MUTE_MESSAGES_TOPIC_V1,
  parseMuteCommerceEventV1,
  parseMuteIntegrationEventV1,
  permissionEventKeyV1,
  parseDownstreamIntegrationEventV1,
  parseAccessDeniedIntegrationEventV1,
  parseDirectoryIntegrationEventV1,
  parsePermissionIntegrationEventV1,
  parseTagIntegrationEventV1,
  PERMISSION_ACCESS_DENIED_TOPIC_V1,
  PERMISSION_EVENTS_TOPIC_V1,
  PERMISSION_INTEGRATION_TYPES_V1,
  TAG_ACCESS_DENIED_TOPIC_V1,
  TAG_EVENTS_TOPIC_V1,
  TAG_INTEGRATION_TYPES_V1,
} from '@tagguard/contracts';

export interface AuditedTopic {
  topic: string;
  /** Every event type the topic carries: each becomes a record (the completeness test checks them all). */
  types: readonly string[];
  /** The contract's parser: a message it refuses is retried and dead-lettered, never recorded half. */
  parse: (type: string, data: unknown) => unknown;
  /**
   * The record's subject, from the parsed event; by default the Kafka key, which is the object on every
   * topic but permission-service's (keyed by tenant for its order, D83).
   */
  subjectOf?: (parsed: never) => string;
}

/**
 * Every public topic the trail records. Adding a service's topic is one line here; the consumer, the
 * inbox and the tree take it as they are.
 */
export const AUDITED_TOPICS: readonly AuditedTopic[] = [
  { topic: TAG_EVENTS_TOPIC_V1, types: TAG_INTEGRATION_TYPES_V1, parse: parseTagIntegrationEventV1 },
  {
    topic: PERMISSION_EVENTS_TOPIC_V1,
    types: PERMISSION_INTEGRATION_TYPES_V1,
    parse: parsePermissionIntegrationEventV1,
    subjectOf: permissionEventKeyV1,
  },
  {
    topic: DIRECTORY_EVENTS_TOPIC_V1,
    types: DIRECTORY_INTEGRATION_TYPES_V1,
    parse: parseDirectoryIntegrationEventV1,
  },
  {
    topic: DOWNSTREAM_EVENTS_TOPIC_V1,
    types: DOWNSTREAM_INTEGRATION_TYPES_V1,
    parse: parseDownstreamIntegrationEventV1,
  },
  // Rules, green channels, zones, decisions (with their reasons), releases, unmutes and automation mutes.
  { topic: MUTE_EVENTS_TOPIC_V1, types: MUTE_INTEGRATION_TYPES_V1, parse: parseMuteIntegrationEventV1 },
  // Store visits and purchases: inputs from outside TagGuard that change who is muted (D104).
  {
    topic: MUTE_COMMERCE_EVENTS_TOPIC_V1,
    types: MUTE_COMMERCE_TYPES_V1,
    parse: parseMuteCommerceEventV1,
  },
  {
    topic: TAG_ACCESS_DENIED_TOPIC_V1,
    types: ACCESS_DENIED_INTEGRATION_TYPES_V1,
    parse: parseAccessDeniedIntegrationEventV1,
  },
  {
    topic: PERMISSION_ACCESS_DENIED_TOPIC_V1,
    types: ACCESS_DENIED_INTEGRATION_TYPES_V1,
    parse: parseAccessDeniedIntegrationEventV1,
  },
  {
    topic: DIRECTORY_ACCESS_DENIED_TOPIC_V1,
    types: ACCESS_DENIED_INTEGRATION_TYPES_V1,
    parse: parseAccessDeniedIntegrationEventV1,
  },
  {
    topic: MUTE_ACCESS_DENIED_TOPIC_V1,
    types: ACCESS_DENIED_INTEGRATION_TYPES_V1,
    parse: parseAccessDeniedIntegrationEventV1,
  },
];

/**
 * Public topics the trail deliberately does not record, with the reason (D104): the completeness test
 * accepts a declared topic that is audited or named here, and this list is exactly them.
 */
export const UNAUDITED_TOPICS: Readonly<Record<string, string>> = {
  [MUTE_MESSAGES_TOPIC_V1]:
    'inbound messages to decide, from the messaging gateway: no change; each accepted one is recorded as its mute.message_decided.v1',
  [MUTE_DELIVERIES_TOPIC_V1]:
    'one delivery per decided message: the consequence of a recorded decision or release, not a change of anyone',
};

/**
 * Event types audit-service writes into the trail itself, in the transaction of its own change (no topic:
 * the trail is its store): its channel changes (ChannelWriter) and delivery attempts (the dispatcher).
 */
export const DIRECTLY_RECORDED_TYPES: readonly string[] = [
  'audit.notification_channel_changed.v1',
  'audit.notification_delivery_attempted.v1',
];

const BY_TOPIC = new Map(AUDITED_TOPICS.map((t) => [t.topic, t]));

/** The subject of an audited message, once its topic's contract accepted the payload. */
export function parseAudited(topic: string, type: string, data: unknown, key: string): string {
  const audited = BY_TOPIC.get(topic);
  if (!audited) throw new Error(`topic ${topic} is not audited`);
  const parsed = audited.parse(type, data);
  return audited.subjectOf ? audited.subjectOf(parsed as never) : key;
}
