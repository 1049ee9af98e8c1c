import type { Admin, Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { ComponentLag } from '@tagguard/telemetry';
import { fromRecord, type Headers, type IntegrationMessage } from '../message';
import { ensureTopics } from '../kafka/kafka-publisher';
import { deadLetterTopic } from '../topics';
import { handleWithRetries } from '../transport/handle-with-retries';
import {
  DEFAULT_MAX_ATTEMPTS,
  type MessageSubscription,
  type SubscriptionOptions,
} from '../transport/message-transport';

export interface ResilientConsumerOptions extends SubscriptionOptions {
  kafka: Kafka;
  /** How long the group waits for a silent member (e.g. killed) before reassigning its partitions. */
  sessionTimeoutMs?: number;
}

/**
 * A consumer group member that retries a failing message with exponential backoff, then parks it on
 * `<group>.dlt` with the failure reason and moves on: a poison message never blocks its partition.
 * The offset is committed only after the message was handled or parked.
 */
export class ResilientConsumer implements MessageSubscription {
  private admin?: Admin;

  private constructor(
    private readonly consumer: Consumer,
    private readonly producer: Producer,
    private readonly options: ResilientConsumerOptions,
    /** When this member last took a message (for the lag's seconds). */
    private readonly progress: { at: number },
  ) {}

  static async start(options: ResilientConsumerOptions): Promise<ResilientConsumer> {
    // Whoever starts first declares the topics (idempotently), so start order between services is free.
    await ensureTopics(options.kafka, [...options.topics, deadLetterTopic(options.groupId)]);
    const consumer = options.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      ...(options.sessionTimeoutMs
        ? {
            sessionTimeout: options.sessionTimeoutMs,
            heartbeatInterval: Math.floor(options.sessionTimeoutMs / 3),
          }
        : {}),
    });
    const producer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const component = options.component;
    // kafkajs restarts a crashed consumer itself when the error is retriable; health shows it meanwhile.
    consumer.on(consumer.events.CRASH, ({ payload }) =>
      component?.set(payload.restart ? 'retrying' : 'failed', payload.error),
    );
    consumer.on(consumer.events.GROUP_JOIN, () => component?.set('running'));
    await Promise.all([consumer.connect(), producer.connect()]);
    await consumer.subscribe({ topics: options.topics, fromBeginning: true });
    const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const dlt = deadLetterTopic(options.groupId);

    const progress = { at: Date.now() };
    await consumer.run({
      autoCommit: true,
      eachMessage: async ({ topic, partition, message, heartbeat }) => {
        progress.at = Date.now();
        let inbound: IntegrationMessage | undefined;
        const headers = headersOf(message);
        const reason = await handleWithRetries(options, {
          topic,
          carrier: headers,
          system: 'kafka',
          attributes: { 'messaging.kafka.offset': Number(message.offset) },
          read: () =>
            (inbound = fromRecord(
              topic,
              message.key?.toString() ?? '',
              message.value?.toString() ?? 'null',
              headers,
            )),
          betweenAttempts: heartbeat,
          // An envelope that cannot be read will not become readable by waiting.
          isPermanent: (error) => error instanceof Error && error.message.includes('lacks envelope headers'),
        });
        if (reason === undefined) return;
        await producer.send({
          topic: dlt,
          acks: -1,
          messages: [
            {
              key: message.key,
              value: message.value,
              headers: {
                ...message.headers,
                'tg-dlt-reason': reason,
                'tg-dlt-original-topic': topic,
                'tg-dlt-original-partition': String(partition),
                'tg-dlt-original-offset': message.offset,
                'tg-dlt-attempts': String(maxAttempts),
                'tg-dlt-consumer-group': options.groupId,
              },
            },
          ],
        });
        options.onDeadLetter?.({ message: inbound, reason, attempts: maxAttempts });
      },
    });
    return new ResilientConsumer(consumer, producer, options, progress);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
    await this.admin?.disconnect();
  }

  /**
   * Messages after the group's committed offsets (summed over partitions). Kafka keeps no cheap age of
   * the oldest unread message, so `seconds` is the time since this member last took a message while
   * some are waiting (0 when none is).
   */
  async lag(): Promise<ComponentLag | undefined> {
    if (!this.admin) {
      this.admin = this.options.kafka.admin();
      await this.admin.connect();
    }
    let events = 0;
    for (const topic of this.options.topics) {
      const heads = await this.admin.fetchTopicOffsets(topic);
      const [committed] = await this.admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] });
      for (const head of heads) {
        const at = committed?.partitions.find((p) => p.partition === head.partition)?.offset ?? '-1';
        const from = Number(at) >= 0 ? Number(at) : Number(head.low);
        events += Math.max(0, Number(head.high) - from);
      }
    }
    return { events, seconds: events > 0 ? (Date.now() - this.progress.at) / 1000 : 0 };
  }
}

function headersOf(message: KafkaMessage): Headers {
  const out: Headers = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    if (v !== undefined) out[k] = Array.isArray(v) ? String(v[0]) : v.toString();
  }
  return out;
}
