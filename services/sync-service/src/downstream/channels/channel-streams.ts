import { streamName, tenantScopedId } from '@tagguard/event-store';

/** One stream per channel; the directory's projection never reads it, its relay publishes it (audited). */
export const CHANNEL_CATEGORY = 'downstreamChannel';
export const channelStream = (tenantId: string, channelId: string): string =>
  streamName(CHANNEL_CATEGORY, tenantScopedId(tenantId, channelId));
