import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { Pool } from 'pg';
import { PostgresEventStore, type RecordedEvent } from '@tagguard/event-store';
import { eventually, testInfra } from '@tagguard/testing';
import { ensureTopics, KafkaPublisher } from '../kafka/kafka-publisher';
import type { IntegrationMessage } from '../message';
import type { MessagePublisher } from '../publisher.port';
import { PostgresCheckpointStore } from './checkpoint-store';
import { EventRelay } from './event-relay';

const id = () => randomUUID().replace(/-/g, '').slice(0, 10);
const event = (type: string) => ({
  id: randomUUID(),
  type,
  schemaVersion: 1,
  data: { at: Date.now() },
  metadata: {
    tenantId: 'tenant-a',
    actorId: 'user-1',
    correlationId: randomUUID(),
    occurredAt: new Date().toISOString(),
  },
});

describe('EventRelay: event store → Kafka, on real PostgreSQL and Kafka', () => {
  const { postgresUrl, kafkaBrokers } = testInfra();
  const kafka = new Kafka({ clientId: 'relay-test', brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
  const schema = `relay_${id()}`;
  const category = `t${id()}`;
  const topic = `relay-test.public.${category}.events.v1`;
  let pool: Pool;
  let store: PostgresEventStore;
  let checkpoints: PostgresCheckpointStore;
  let publisher: KafkaPublisher;
  const received: KafkaMessage[] = [];
  const consumer = kafka.consumer({ groupId: `relay-test.${id()}` });

  const translate = (e: RecordedEvent): IntegrationMessage => ({
    topic,
    key: e.streamId.slice(category.length + 1),
    eventId: e.id,
    type: e.type,
    schemaVersion: e.schemaVersion,
    data: e.data,
    metadata: e.metadata,
  });
  const relay = (p: MessagePublisher, batchSize = 200) =>
    new EventRelay({
      name: `${schema}.relay`,
      store,
      filter: { categories: [category] },
      translate,
      publisher: p,
      checkpoints,
      batchSize,
    });

  beforeAll(async () => {
    pool = new Pool({ connectionString: postgresUrl });
    store = await PostgresEventStore.connect({ connectionString: postgresUrl, schema, pollIntervalMs: 50 });
    checkpoints = await PostgresCheckpointStore.create(pool, schema);
    await ensureTopics(kafka, [topic]);
    publisher = await KafkaPublisher.connect(kafka);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });
  });
  afterAll(async () => {
    await consumer.disconnect();
    await publisher.close();
    await store.close();
    await pool.end();
  });

  it('publishes only its category, keyed by aggregate, with envelope headers, and resumes from its checkpoint', async () => {
    for (let i = 0; i < 3; i++)
      await store.append(`${category}-agg${i}`, [event('TagCreated'), event('TagRenamed')], 'no_stream');
    await store.append(`other${id()}-x`, [event('Unrelated')], 'no_stream');

    const first = relay(publisher);
    await first.start();
    await eventually(() => expect(received).toHaveLength(6), 20_000);
    await first.stop();

    const byKey = new Map<string, string[]>();
    for (const m of received)
      byKey.set(m.key!.toString(), [
        ...(byKey.get(m.key!.toString()) ?? []),
        m.headers!['tg-event-type']!.toString(),
      ]);
    expect([...byKey.values()]).toEqual([
      ['TagCreated', 'TagRenamed'],
      ['TagCreated', 'TagRenamed'],
      ['TagCreated', 'TagRenamed'],
    ]);
    expect(received[0]!.headers!['tg-tenant-id']!.toString()).toBe('tenant-a');

    await store.append(`${category}-agg9`, [event('TagCreated')], 'no_stream');
    const second = relay(publisher);
    await second.start();
    await eventually(() => expect(received).toHaveLength(7), 20_000);
    await new Promise((r) => setTimeout(r, 500));
    await second.stop();
    expect(received).toHaveLength(7);
  });

  it('after a crash between publish and checkpoint, re-publishes at most that batch and loses nothing', async () => {
    const before = received.length;
    const streams = Array.from({ length: 10 }, (_, i) => `${category}-crash${i}`);
    for (const s of streams) await store.append(s, [event('TagCreated')], 'no_stream');

    // A publisher whose process "dies" right after Kafka acknowledged the second batch.
    let batches = 0;
    const crashing: MessagePublisher = {
      publish: async (messages) => {
        await publisher.publish(messages);
        if (++batches === 2) throw new Error('simulated crash after publish');
      },
      close: async () => undefined,
    };
    const crashed = relay(crashing, 3);
    await crashed.start();
    await eventually(() => expect(batches).toBe(2), 20_000);
    await crashed.stop();

    const restarted = relay(publisher, 3);
    await restarted.start();
    await eventually(() => {
      const ids = new Set(received.slice(before).map((m) => m.headers!['tg-event-id']!.toString()));
      expect(ids.size).toBe(10);
    }, 20_000);
    await restarted.stop();
    const delivered = received.length - before;
    expect(delivered).toBeGreaterThanOrEqual(10);
    expect(delivered).toBeLessThanOrEqual(13);
  });
});
