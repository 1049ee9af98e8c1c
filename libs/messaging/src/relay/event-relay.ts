import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import type { EventFilter, EventStore, RecordedEvent } from '@tagguard/event-store';
import { contextFrom, errorMessage, type ComponentHandle, type ComponentLag } from '@tagguard/telemetry';
import type { IntegrationMessage } from '../message';
import type { MessagePublisher } from '../publisher.port';
import type { CheckpointStore } from './checkpoint-store';
import { CheckpointedSubscriber, type RetryPolicy } from './checkpointed-subscriber';
import type { PostgresParkedEvents } from './parked-events';

const tracer = trace.getTracer('@tagguard/messaging');

export interface EventRelayOptions {
  /** Checkpoint name, e.g. "tag-service.relay". */
  name: string;
  store: EventStore;
  filter: EventFilter;
  /** Domain event → integration message, explicitly; undefined keeps an event private to its service. */
  translate(event: RecordedEvent): IntegrationMessage | undefined;
  publisher: MessagePublisher;
  checkpoints: CheckpointStore;
  batchSize?: number;
  /** Where an event that cannot be translated is parked; without it the relay stops as failed on one. */
  parking?: PostgresParkedEvents;
  component?: ComponentHandle;
  retry?: Partial<Pick<RetryPolicy, 'backoffMs' | 'maxBackoffMs'>>;
  isFatal?(error: unknown): boolean;
  onEnded?(error: unknown): void;
}

/**
 * The only way events reach Kafka: a checkpointed subscription to the event store. A batch is published
 * and acknowledged before its checkpoint is saved, so a crash re-publishes at most the batch in flight
 * (at-least-once; consumers deduplicate by event id) and never loses one. The outbox is the event store.
 * A broker outage is retried with backoff for as long as it lasts (the relay reports `retrying`); only an
 * event that cannot be translated (it never will be) is parked, never one the broker refused.
 */
export class EventRelay {
  private readonly subscriber: CheckpointedSubscriber;

  constructor(private readonly options: EventRelayOptions) {
    this.subscriber = new CheckpointedSubscriber({
      name: options.name,
      store: options.store,
      filter: options.filter,
      checkpoints: options.checkpoints,
      batchSize: options.batchSize ?? 200,
      handle: (events) => this.relay(events),
      retry: { ...options.retry, maxAttempts: Number.POSITIVE_INFINITY },
      ...(options.component ? { component: options.component } : {}),
      ...(options.isFatal ? { isFatal: options.isFatal } : {}),
      ...(options.onEnded ? { onEnded: options.onEnded } : {}),
    });
  }

  start(): Promise<void> {
    return this.subscriber.start();
  }

  stop(): Promise<void> {
    return this.subscriber.stop();
  }

  lag(): Promise<ComponentLag | undefined> {
    return this.subscriber.lag();
  }

  private async translateAll(events: RecordedEvent[]): Promise<IntegrationMessage[]> {
    const messages: IntegrationMessage[] = [];
    for (const event of events) {
      try {
        const message = this.options.translate(event);
        if (message) messages.push(message);
      } catch (error) {
        if (!this.options.parking) throw error;
        const reason = errorMessage(error);
        await this.options.parking.park(this.options.name, event, `translate: ${reason}`, 1);
        this.options.component?.parked(
          `${event.type} ${event.id} (${event.streamId}@${event.revision})`,
          reason,
        );
      }
    }
    return messages;
  }

  private async relay(events: RecordedEvent[]): Promise<void> {
    const messages = await this.translateAll(events);
    // One PRODUCER span per message, continuing the trace of the command that wrote the event; the
    // message carries that span on, so the consumer's span joins the same trace.
    const spans = messages.map((m) => {
      const span = tracer.startSpan(
        `${m.topic} publish`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.destination.name': m.topic,
            'messaging.message.id': m.eventId,
          },
        },
        contextFrom(m.metadata),
      );
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(context.active(), span), carrier);
      if (carrier['traceparent']) m.metadata = { ...m.metadata, traceparent: carrier['traceparent'] };
      return span;
    });
    try {
      if (messages.length > 0) await this.options.publisher.publish(messages);
    } finally {
      for (const span of spans) span.end();
    }
    await this.options.checkpoints.save(this.options.name, events[events.length - 1]!.position);
  }
}
