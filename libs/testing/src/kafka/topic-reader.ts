import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { testInfra } from '../infra/endpoints';

/** Reads a topic of the test broker from its beginning into `seen` (key, event type, JSON value) until closed. */
export async function readTopic(
  topic: string,
): Promise<{
  seen: { key: string; type: string; value: Record<string, unknown> }[];
  close(): Promise<void>;
}> {
  const kafka = new Kafka({
    clientId: 'topic-reader',
    brokers: testInfra().kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic }] }).catch(() => undefined);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `topic-reader-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: { key: string; type: string; value: Record<string, unknown> }[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push({
        key: message.key?.toString() ?? '',
        type: message.headers?.['tg-event-type']?.toString() ?? '',
        value: JSON.parse(message.value!.toString()) as Record<string, unknown>,
      });
    },
  });
  return { seen, close: () => consumer.disconnect() };
}
