import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { eventually, testInfra } from '@tagguard/testing';
import { ensureTopics, KafkaPublisher } from '../kafka/kafka-publisher';
import type { IntegrationMessage } from '../message';
import { deadLetterTopic } from '../topics';
import { ResilientConsumer } from './resilient-consumer';

const message = (topic: string, type: string): IntegrationMessage => ({
  topic,
  key: 'tag-1',
  eventId: randomUUID(),
  type,
  schemaVersion: 1,
  data: { type },
  metadata: {
    tenantId: 't',
    actorId: 'u',
    correlationId: randomUUID(),
    occurredAt: new Date().toISOString(),
  },
});

describe('ResilientConsumer on real Kafka', () => {
  const kafka = new Kafka({
    clientId: 'consumer-test',
    brokers: testInfra().kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const suffix = randomUUID().slice(0, 8);
  const topic = `consumer-test.public.tag${suffix}.events.v1`;
  const groupId = `consumer-test.${suffix}`;

  it('retries a flaky message, parks a poison one on the dead-letter topic with its reason, and keeps the partition moving', async () => {
    await ensureTopics(kafka, [topic, deadLetterTopic(groupId)], 1);
    const publisher = await KafkaPublisher.connect(kafka);
    const attempts = new Map<string, number>();
    const handled: string[] = [];
    const consumer = await ResilientConsumer.start({
      kafka,
      groupId,
      topics: [topic],
      maxAttempts: 3,
      backoffMs: 10,
      handle: async (m) => {
        const n = (attempts.get(m.type) ?? 0) + 1;
        attempts.set(m.type, n);
        if (m.type === 'Poison') throw new Error('cannot map tag to audit record');
        if (m.type === 'Flaky' && n < 3) throw new Error('database briefly unavailable');
        handled.push(m.type);
      },
    });
    const dead: KafkaMessage[] = [];
    const dltReader = kafka.consumer({ groupId: `${groupId}.reader` });
    await dltReader.connect();
    await dltReader.subscribe({ topic: deadLetterTopic(groupId), fromBeginning: true });
    await dltReader.run({ eachMessage: async ({ message: m }) => void dead.push(m) });
    try {
      await publisher.publish([
        message(topic, 'Good'),
        message(topic, 'Poison'),
        message(topic, 'Flaky'),
        message(topic, 'After'),
      ]);

      await eventually(() => expect(handled).toEqual(['Good', 'Flaky', 'After']), 30_000);
      expect(attempts.get('Poison')).toBe(3);
      await eventually(() => expect(dead).toHaveLength(1), 30_000);
      expect(dead[0]!.headers!['tg-dlt-reason']!.toString()).toBe('cannot map tag to audit record');
      expect(dead[0]!.headers!['tg-dlt-original-topic']!.toString()).toBe(topic);
      expect(dead[0]!.headers!['tg-event-type']!.toString()).toBe('Poison');
    } finally {
      await dltReader.disconnect();
      await consumer.stop();
      await publisher.close();
    }
  });
});
