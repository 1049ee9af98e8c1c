import { randomUUID } from 'node:crypto';
import { eventually, testInfra } from '@tagguard/testing';
import type { IntegrationMessage } from '../message';
import { deadLetterTopic } from '../topics';
import { InProcessTransport } from './in-process-transport';
import { KafkaTransport } from './kafka-transport';
import type { MessageTransport } from './message-transport';

const message = (topic: string, key: string, type: string): IntegrationMessage => ({
  topic,
  key,
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

// One contract, two transports: what a consumer is written against holds in the embedded mode too.
describe.each([
  ['in-process', () => new InProcessTransport()],
  [
    'Kafka',
    () =>
      new KafkaTransport({ clientId: 'transport-test', brokers: testInfra().kafkaBrokers, partitions: 1 }),
  ],
] as const)('MessageTransport contract: %s', (_name, create) => {
  let transport: MessageTransport;
  let topic: string;
  let groupId: string;
  beforeEach(async () => {
    transport = create();
    const suffix = randomUUID().slice(0, 8);
    topic = `transport-test.public.tag${suffix}.events.v1`;
    groupId = `transport-test.${suffix}`;
    await transport.ensureTopics([topic, deadLetterTopic(groupId)]);
  });
  afterEach(() => transport.close());

  it('delivers to a group that subscribes late from the oldest message, in order per key', async () => {
    const publisher = await transport.publisher();
    const sent = Array.from({ length: 20 }, (_, i) => message(topic, i % 2 ? 'tag-a' : 'tag-b', `E${i}`));
    await publisher.publish(sent.slice(0, 10));
    const received: IntegrationMessage[] = [];
    await transport.subscribe({ groupId, topics: [topic], handle: async (m) => void received.push(m) });
    await publisher.publish(sent.slice(10));

    await eventually(() => expect(received).toHaveLength(20), 30_000);
    for (const key of ['tag-a', 'tag-b'])
      expect(received.filter((m) => m.key === key).map((m) => m.eventId)).toEqual(
        sent.filter((m) => m.key === key).map((m) => m.eventId),
      );
    expect(received[0]!.metadata).toEqual(sent[0]!.metadata);
  });

  it('retries a flaky message, parks a poison one on <group>.dlt with its reason, and keeps the partition moving', async () => {
    const attempts = new Map<string, number>();
    const handled: string[] = [];
    await transport.subscribe({
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
    const dead: IntegrationMessage[] = [];
    await transport.subscribe({
      groupId: `${groupId}-reader`,
      topics: [deadLetterTopic(groupId)],
      handle: async (m) => void dead.push(m),
    });
    const publisher = await transport.publisher();
    await publisher.publish(['Good', 'Poison', 'Flaky', 'After'].map((t) => message(topic, 'tag-1', t)));

    await eventually(() => expect(handled).toEqual(['Good', 'Flaky', 'After']), 30_000);
    expect(attempts.get('Poison')).toBe(3);
    await eventually(() => expect(dead).toHaveLength(1), 30_000);
    expect(dead[0]!.type).toBe('Poison');
    expect(dead[0]!.data).toEqual({ type: 'Poison' });
    expect(dead[0]!.deadLetter).toEqual({
      reason: 'cannot map tag to audit record',
      originalTopic: topic,
      attempts: 3,
      consumerGroup: groupId,
    });
  });

  it('a group that comes back resumes after what it handled and loses nothing', async () => {
    const publisher = await transport.publisher();
    const first: string[] = [];
    const member = await transport.subscribe({
      groupId,
      topics: [topic],
      handle: async (m) => void first.push(m.type),
    });
    await publisher.publish(['A', 'B', 'C'].map((t) => message(topic, 'tag-1', t)));
    await eventually(() => expect(first).toEqual(['A', 'B', 'C']), 30_000);
    await member.stop();

    await publisher.publish(['D', 'E'].map((t) => message(topic, 'tag-1', t)));
    const second: string[] = [];
    await transport.subscribe({ groupId, topics: [topic], handle: async (m) => void second.push(m.type) });
    await eventually(() => expect(second).toEqual(['D', 'E']), 30_000);
  });
});
