import type { EventMetadata } from '@tagguard/event-store';

/** What a relay publishes and a consumer receives: an integration event and its envelope metadata. */
export interface IntegrationMessage<Data = unknown> {
  topic: string;
  /** The aggregate id: Kafka keeps one aggregate's messages in order on one partition. */
  key: string;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: Data;
  metadata: EventMetadata;
  /** Set on a dead-letter topic only: why the original consumer group gave the message up. */
  deadLetter?: { reason: string; originalTopic: string; attempts: number; consumerGroup: string };
}

const H = {
  eventId: 'tg-event-id',
  type: 'tg-event-type',
  schemaVersion: 'tg-schema-version',
  tenantId: 'tg-tenant-id',
  actorId: 'tg-actor-id',
  correlationId: 'tg-correlation-id',
  causationId: 'tg-causation-id',
  occurredAt: 'tg-occurred-at',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

export type Headers = Record<string, string>;

export function toHeaders(message: IntegrationMessage): Headers {
  const m = message.metadata;
  const headers: Headers = {
    [H.eventId]: message.eventId,
    [H.type]: message.type,
    [H.schemaVersion]: String(message.schemaVersion),
    [H.tenantId]: m.tenantId,
    [H.actorId]: m.actorId,
    [H.correlationId]: m.correlationId,
    [H.occurredAt]: m.occurredAt,
  };
  if (m.causationId) headers[H.causationId] = m.causationId;
  if (m.traceparent) headers[H.traceparent] = m.traceparent;
  if (m.tracestate) headers[H.tracestate] = m.tracestate;
  return headers;
}

/** Rebuilds the message from a Kafka record; a record without the envelope headers is refused. */
export function fromRecord(topic: string, key: string, value: string, headers: Headers): IntegrationMessage {
  const required = [H.eventId, H.type, H.schemaVersion, H.tenantId, H.actorId, H.correlationId, H.occurredAt];
  const missing = required.filter((h) => !headers[h]);
  if (missing.length) throw new Error(`message on ${topic} lacks envelope headers: ${missing.join(', ')}`);
  const metadata: EventMetadata = {
    tenantId: headers[H.tenantId]!,
    actorId: headers[H.actorId]!,
    correlationId: headers[H.correlationId]!,
    occurredAt: headers[H.occurredAt]!,
    ...(headers[H.causationId] ? { causationId: headers[H.causationId] } : {}),
    ...(headers[H.traceparent] ? { traceparent: headers[H.traceparent] } : {}),
    ...(headers[H.tracestate] ? { tracestate: headers[H.tracestate] } : {}),
  };
  const deadLetter = headers['tg-dlt-reason']
    ? {
        deadLetter: {
          reason: headers['tg-dlt-reason'],
          originalTopic: headers['tg-dlt-original-topic'] ?? '',
          attempts: Number(headers['tg-dlt-attempts'] ?? 0),
          consumerGroup: headers['tg-dlt-consumer-group'] ?? '',
        },
      }
    : {};
  return {
    ...deadLetter,
    topic,
    key,
    eventId: headers[H.eventId]!,
    type: headers[H.type]!,
    schemaVersion: Number(headers[H.schemaVersion]),
    data: JSON.parse(value) as unknown,
    metadata,
  };
}
