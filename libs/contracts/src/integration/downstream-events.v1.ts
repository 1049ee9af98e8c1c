import { topicName } from '@tagguard/messaging';

/**
 * What other services may know about sync-service's downstream channels (which directory a tenant's
 * employees, tags or corp tags are pushed to, and whether that push is on), published by sync-service.
 * Fat: each event carries the channel as it now is. The Kafka key is `<tenantId>/channel/<channelId>`.
 * Version 1; a breaking change gets a new topic.
 */
export const DOWNSTREAM_EVENTS_TOPIC_V1 = topicName({
  service: 'sync-service',
  visibility: 'public',
  aggregate: 'downstream',
  event: 'events',
  version: 1,
});

type Base = { tenantId: string; revision: string };

export type DownstreamChannelV1 = {
  channelId: string;
  kind: 'employee_accounts' | 'tag_groups' | 'customer_corp_tags';
  connector: string;
  settings: { mailDomain: string; driftRepair: 'manual' | 'auto'; driftIntervalSeconds: number };
};

export type DownstreamIntegrationEventV1 =
  | { type: 'downstream.channel_configured.v1'; data: Base & DownstreamChannelV1 }
  | { type: 'downstream.channel_enabled.v1'; data: Base & { channelId: string } }
  | { type: 'downstream.channel_disabled.v1'; data: Base & { channelId: string } };

export const DOWNSTREAM_INTEGRATION_TYPES_V1: readonly DownstreamIntegrationEventV1['type'][] = [
  'downstream.channel_configured.v1',
  'downstream.channel_enabled.v1',
  'downstream.channel_disabled.v1',
];

const TYPES = new Set<string>(DOWNSTREAM_INTEGRATION_TYPES_V1);

/** Validates an inbound message's type and envelope fields; consumers call it before trusting the payload. */
export function parseDownstreamIntegrationEventV1(type: string, data: unknown): DownstreamIntegrationEventV1 {
  if (!TYPES.has(type)) throw new Error(`unknown downstream integration event type "${type}"`);
  const d = data as Record<string, unknown>;
  for (const field of ['tenantId', 'revision', 'channelId']) {
    if (typeof d?.[field] !== 'string') throw new Error(`${type}: field "${field}" must be a string`);
  }
  return { type, data: d } as DownstreamIntegrationEventV1;
}
