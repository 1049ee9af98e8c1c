import { SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { contextFrom } from '@tagguard/telemetry';
import type { IntegrationMessage } from '../message';
import { DEFAULT_BACKOFF_MS, DEFAULT_MAX_ATTEMPTS, type SubscriptionOptions } from './message-transport';

const tracer = trace.getTracer('@tagguard/messaging');

export interface Delivery {
  topic: string;
  /** The trace context the message carries (its headers). */
  carrier: { traceparent?: string; tracestate?: string };
  /** messaging.system of the span. */
  system: string;
  /** Span attributes beside the common ones (system, topic, group, message id). */
  attributes?: Attributes;
  /** The message as the handler takes it; read on every attempt, and its failure counts as one. */
  read: () => IntegrationMessage;
  /** Between attempts, after the backoff (Kafka: heartbeat, so the group keeps the member). */
  betweenAttempts?: () => Promise<void>;
  /** A failure that waiting cannot cure: no more attempts. */
  isPermanent?: (error: unknown) => boolean;
}

/**
 * The transports' one retry policy: each attempt in a CONSUMER span in the message's trace, exponential
 * backoff between attempts. Resolves with undefined once handled, or with the last failure's reason once
 * the attempts are spent (the caller parks the message on its dead-letter topic).
 */
export async function handleWithRetries(
  options: SubscriptionOptions,
  delivery: Delivery,
): Promise<string | undefined> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  let lastError: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      const message = delivery.read();
      await tracer.startActiveSpan(
        `${delivery.topic} process`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': delivery.system,
            'messaging.destination.name': delivery.topic,
            'messaging.consumer.group.name': options.groupId,
            'messaging.message.id': message.eventId,
            ...delivery.attributes,
          },
        },
        contextFrom(delivery.carrier),
        async (span) => {
          try {
            await options.handle(message);
          } catch (error) {
            span.recordException(error as Error);
            span.setStatus({ code: SpanStatusCode.ERROR });
            throw error;
          } finally {
            span.end();
          }
        },
      );
      return undefined;
    } catch (error) {
      lastError = error;
      if (delivery.isPermanent?.(error)) break;
      if (attempt < maxAttempts) {
        await new Promise((r) => setTimeout(r, backoffMs * 2 ** (attempt - 1)));
        await delivery.betweenAttempts?.();
      }
    }
  }
  return lastError instanceof Error ? lastError.message : String(lastError);
}
