import { DOWNSTREAM_EVENTS_TOPIC_V1, type DownstreamIntegrationEventV1 } from '@tagguard/contracts';
import { idAfterTenant, idOf, type RecordedEvent } from '@tagguard/event-store';
import type { IntegrationMessage } from '@tagguard/messaging';
import type { ChannelEvent } from './domain/channel.decider';

/** A channel's domain event → its integration event on the downstream topic, field by field (audited). */
export function channelIntegrationMessage(recorded: RecordedEvent): IntegrationMessage {
  const tenantId = recorded.metadata.tenantId;
  const channelId = idAfterTenant(tenantId, idOf(recorded.streamId));
  const base = { tenantId, revision: String(recorded.revision) };
  const event = { type: recorded.type, data: recorded.data } as ChannelEvent;
  const out: DownstreamIntegrationEventV1 =
    event.type === 'ChannelConfigured'
      ? {
          type: 'downstream.channel_configured.v1',
          data: {
            ...base,
            channelId: event.data.channel.channelId,
            kind: event.data.channel.kind,
            connector: event.data.channel.connector,
            settings: { ...event.data.channel.settings },
          },
        }
      : event.type === 'ChannelEnabled'
        ? { type: 'downstream.channel_enabled.v1', data: { ...base, channelId } }
        : { type: 'downstream.channel_disabled.v1', data: { ...base, channelId } };
  const { idempotency: _idempotency, ...metadata } = recorded.metadata;
  return {
    topic: DOWNSTREAM_EVENTS_TOPIC_V1,
    key: `${tenantId}/channel/${channelId}`,
    eventId: recorded.id,
    type: out.type,
    schemaVersion: 1,
    data: out.data,
    metadata,
  };
}
