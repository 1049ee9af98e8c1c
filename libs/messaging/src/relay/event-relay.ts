import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import type { EventFilter, EventStore, RecordedEvent, Subscription } from '@tagguard/event-store';
import { contextFrom } from '@tagguard/telemetry';
import type { IntegrationMessage } from '../message';
import type { MessagePublisher } from '../publisher.port';
import type { CheckpointStore } from './checkpoint-store';

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
  onError?(error: unknown): void;
}

/**
 * The only way events reach Kafka: a checkpointed subscription to the event store. A batch is published
 * and acknowledged before its checkpoint is saved, so a crash re-publishes at most the batch in flight
 * (at-least-once; consumers deduplicate by event id) and never loses one. The outbox is the event store.
 */
export class EventRelay {
  private subscription?: Subscription;

  constructor(private readonly options: EventRelayOptions) {}

  async start(): Promise<void> {
    const after = await this.options.checkpoints.load(this.options.name);
    this.subscription = this.options.store.subscribe({
      ...(after ? { after } : {}),
      filter: this.options.filter,
      batchSize: this.options.batchSize ?? 200,
      onEvents: (events) => this.relay(events),
      ...(this.options.onError ? { onError: this.options.onError } : {}),
    });
  }

  private async relay(events: RecordedEvent[]): Promise<void> {
    const messages = events.map((e) => this.options.translate(e)).filter((m): m is IntegrationMessage => !!m);
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
      await this.options.publisher.publish(messages);
    } finally {
      for (const span of spans) span.end();
    }
    await this.options.checkpoints.save(this.options.name, events[events.length - 1]!.position);
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }
}
