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

/** Creates the topics a service declares, with the partition count given; existing ones are left as they are. */
export async function ensureTopics(kafka: Kafka, topics: string[], numPartitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length)
      await admin.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions })),
        waitForLeaders: true,
      });
  } finally {
    await admin.disconnect();
  }
}
