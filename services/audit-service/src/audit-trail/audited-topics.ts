import {
  ACCESS_DENIED_INTEGRATION_TYPES_V1,
  DIRECTORY_ACCESS_DENIED_TOPIC_V1,
  DIRECTORY_EVENTS_TOPIC_V1,
  DIRECTORY_INTEGRATION_TYPES_V1,
  DOWNSTREAM_EVENTS_TOPIC_V1,
  DOWNSTREAM_INTEGRATION_TYPES_V1,
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
}

/**
 * Every public topic the trail records. Adding a service's topic is one line here (mute-service's, once
 * it publishes one); the consumer, the inbox and the tree take it as they are.
 */
export const AUDITED_TOPICS: readonly AuditedTopic[] = [
  { topic: TAG_EVENTS_TOPIC_V1, types: TAG_INTEGRATION_TYPES_V1, parse: parseTagIntegrationEventV1 },
  {
    topic: PERMISSION_EVENTS_TOPIC_V1,
    types: PERMISSION_INTEGRATION_TYPES_V1,
    parse: parsePermissionIntegrationEventV1,
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
];

const BY_TOPIC = new Map(AUDITED_TOPICS.map((t) => [t.topic, t]));

/** The audited topic of a message, after its contract accepted the payload. */
export function parseAudited(topic: string, type: string, data: unknown): void {
  const audited = BY_TOPIC.get(topic);
  if (!audited) throw new Error(`topic ${topic} is not audited`);
  audited.parse(type, data);
}
