import { topicName } from '@tagguard/messaging';

/**
 * What other services may know about tags, published by tag-service on one topic per aggregate so that
 * one tag's events stay in order (Kafka key = tag id). Version 1; a breaking change gets a new topic.
 */
export const TAG_EVENTS_TOPIC_V1 = topicName({
  service: 'tag-service',
  visibility: 'public',
  aggregate: 'tag',
  event: 'events',
  version: 1,
});

export type TagIntegrationEventV1 =
  | {
      type: 'tag.created.v1';
      data: { tenantId: string; tagId: string; name: string; kind: 'member' | 'customer'; revision: string };
    }
  | {
      type: 'tag.renamed.v1';
      data: { tenantId: string; tagId: string; name: string; previousName: string; revision: string };
    }
  | { type: 'tag.deleted.v1'; data: { tenantId: string; tagId: string; name: string; revision: string } };

const TYPES = new Set(['tag.created.v1', 'tag.renamed.v1', 'tag.deleted.v1']);

/** Validates an inbound message's type and data shape; consumers call it before trusting the payload. */
export function parseTagIntegrationEventV1(type: string, data: unknown): TagIntegrationEventV1 {
  if (!TYPES.has(type)) throw new Error(`unknown tag integration event type "${type}"`);
  const d = data as Record<string, unknown>;
  for (const field of ['tenantId', 'tagId', 'name', 'revision']) {
    if (typeof d?.[field] !== 'string') throw new Error(`${type}: field "${field}" must be a string`);
  }
  return { type, data: d } as TagIntegrationEventV1;
}
