import { Kafka, logLevel } from 'kafkajs';
import { ResilientConsumer } from '../consumer/resilient-consumer';
import { ensureTopics, KafkaPublisher } from '../kafka/kafka-publisher';
import type { MessagePublisher } from '../publisher.port';
import type { MessageSubscription, MessageTransport, SubscriptionOptions } from './message-transport';

export interface KafkaTransportOptions {
  clientId: string;
  brokers: string[];
  /** How long a group waits for a silent member (e.g. killed) before reassigning its partitions. */
  sessionTimeoutMs?: number;
  /** Partitions of the topics this transport creates (default 3). */
  partitions?: number;
}

/** The distributed transport: idempotent producers (acks=all) and ResilientConsumer group members. */
export class KafkaTransport implements MessageTransport {
  readonly kind = 'kafka' as const;
  readonly kafka: Kafka;
  private readonly open = new Set<{ close(): Promise<void> }>();

  constructor(private readonly options: KafkaTransportOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.ERROR,
    });
  }

  ensureTopics(topics: string[]): Promise<void> {
    return ensureTopics(this.kafka, topics, this.options.partitions ?? 3);
  }

  async publisher(): Promise<MessagePublisher> {
    const publisher = await KafkaPublisher.connect(this.kafka);
    const tracked: MessagePublisher = {
      publish: (m) => publisher.publish(m),
      close: () => publisher.close(),
    };
    return this.track(tracked);
  }

  async subscribe(options: SubscriptionOptions): Promise<MessageSubscription> {
    const consumer = await ResilientConsumer.start({
      ...options,
      kafka: this.kafka,
      ...(this.options.sessionTimeoutMs ? { sessionTimeoutMs: this.options.sessionTimeoutMs } : {}),
    });
    const tracked = this.track({ close: () => consumer.stop() });
    return { stop: () => tracked.close(), lag: () => consumer.lag() };
  }

  async close(): Promise<void> {
    await Promise.all([...this.open].map((o) => o.close()));
  }

  /** Closing twice (by its owner, then by the transport) is harmless. */
  private track<T extends { close(): Promise<void> }>(resource: T): T {
    let closing: Promise<void> | undefined;
    const close = resource.close.bind(resource);
    const tracked = {
      ...resource,
      close: () => {
        closing ??= close().finally(() => this.open.delete(tracked));
        return closing;
      },
    };
    this.open.add(tracked);
    return tracked;
  }
}
