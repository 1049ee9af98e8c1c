import { type Kafka, type Producer } from 'kafkajs';
import { toHeaders, type IntegrationMessage } from '../message';
import type { MessagePublisher } from '../publisher.port';

/** An idempotent kafkajs producer: retries after a lost ack never duplicate a record in the log. */
export class KafkaPublisher implements MessagePublisher {
  private constructor(private readonly producer: Producer) {}

  static async connect(kafka: Kafka): Promise<KafkaPublisher> {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    return new KafkaPublisher(producer);
  }

  async publish(messages: IntegrationMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const byTopic = new Map<string, IntegrationMessage[]>();
    for (const m of messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic,
        messages: list.map((m) => ({ key: m.key, value: JSON.stringify(m.data), headers: toHeaders(m) })),
      })),
    });
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }
}

/**
 * Creates the topics a service declares, with the partition count given; existing ones are left as they
 * are. On a broker that has just started, or while another service creates the same topics, Kafka answers
 * with transient errors (UNKNOWN_TOPIC_OR_PARTITION, TOPIC_ALREADY_EXISTS, no leader yet): those are
 * retried, and the call returns only once every topic's metadata is served, so a consumer or producer that
 * starts right after does not fail on a topic Kafka has not finished creating.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: string[],
  numPartitions = 3,
  { attempts = 10, delayMs = 200 }: { attempts?: number; delayMs?: number } = {},
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((t) => !existing.has(t));
        if (missing.length)
          await admin.createTopics({
            topics: missing.map((topic) => ({ topic, numPartitions })),
            waitForLeaders: true,
          });
        if (topics.length) await admin.fetchTopicMetadata({ topics });
        return;
      } catch (error) {
        if (attempt >= attempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, delayMs * attempt));
      }
    }
  } finally {
    await admin.disconnect();
  }
}
