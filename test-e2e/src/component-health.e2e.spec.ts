import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { PostgresEventStore } from '@tagguard/event-store';
import { protoRoot } from '@tagguard/grpc-runtime';
import {
  checkHealth,
  eventually,
  freePort,
  startServiceProcess,
  tagguardClient,
  testInfra,
} from '@tagguard/testing';
import { serviceClient, signedMetadata, unary } from './support/callers';

interface Component {
  name: string;
  kind: string;
  state: string;
  parked: string;
  lagKnown: boolean;
  lagEvents: string;
  parkedEvents: { eventId: string; what: string; reason: string }[];
}

async function listComponents(port: number, parkedLimit = 0): Promise<Component[]> {
  const client = tagguardClient<grpc.Client>(
    `127.0.0.1:${port}`,
    'tagguard/runtime/v1/components.proto',
    protoRoot(),
    ['tagguard', 'runtime', 'v1', 'ComponentsService'],
  );
  try {
    const operator = signedMetadata('ops', 'sre-1', ['platform_operator']);
    return (await unary<{ components: Component[] }>(client, 'ListComponents', { parkedLimit }, operator))
      .components;
  } finally {
    client.close();
  }
}

// The services as OS processes on real PostgreSQL and Kafka: each background component has a health
// entry and a ListComponents line, and one event the projection cannot apply is parked with its reason
// while everything else goes on.
describe('component health, lag and parking (services as processes)', () => {
  const { postgresUrl, kafkaBrokers } = testInfra();

  it('tag-service parks an event its projection cannot apply, stays SERVING and keeps projecting', async () => {
    const run = randomUUID().replace(/-/g, '').slice(0, 8);
    const port = await freePort();
    const esSchema = `health_es_${run}`;
    const tag = await startServiceProcess('tag-service', {
      GRPC_PORT: String(port),
      DATABASE_URL: postgresUrl,
      DATABASE_SCHEMA: `health_tag_${run}`,
      EVENTSTORE_SCHEMA: esSchema,
      KAFKA_BROKERS: '',
    });
    const store = await PostgresEventStore.connect({ connectionString: postgresUrl, schema: esSchema });
    const client = serviceClient(`127.0.0.1:${port}`, 'tag');
    try {
      const names = (await listComponents(port)).map((c) => c.name);
      expect(names).toEqual(
        expect.arrayContaining([
          'tag-service.catalog-view',
          'tag-service.follow-up',
          'tag-service.revert',
          'tag-service.snapshots',
          'tag-service.purge-timer',
        ]),
      );
      for (const name of names) await expect(checkHealth(`127.0.0.1:${port}`, name)).resolves.toBe('SERVING');

      // A catalogue event with no node id: the projection's insert fails on it every time.
      const poisonId = randomUUID();
      await store.append(
        `tagCatalog-poison${run}`,
        [
          {
            id: poisonId,
            type: 'NodeCreated',
            schemaVersion: 1,
            data: { name: 'no id' },
            metadata: {
              tenantId: `poison${run}`,
              actorId: 'someone',
              correlationId: randomUUID(),
              occurredAt: new Date().toISOString(),
            },
          },
        ],
        'no_stream',
      );
      const admin = signedMetadata(`tenant-${run}`);
      const tagId = randomUUID();
      const created = await unary<{ result: { consistencyToken: string } }>(
        client,
        'CreateTag',
        { tagId, name: 'after the poison', kind: 'TAG_KIND_CUSTOMER' },
        admin,
      );

      await eventually(
        async () =>
          expect(
            (await listComponents(port, 10)).find((c) => c.name === 'tag-service.catalog-view'),
          ).toMatchObject({
            state: 'running',
            parked: '1',
            lagKnown: true,
            lagEvents: '0',
            parkedEvents: [
              expect.objectContaining({ eventId: poisonId, what: expect.stringContaining('NodeCreated') }),
            ],
          }),
        30_000,
        200,
      );
      await expect(
        unary(client, 'GetTag', { tagId, consistencyToken: created.result.consistencyToken }, admin),
      ).resolves.toMatchObject({ tag: expect.objectContaining({ tagId }) });
      expect(await checkHealth(`127.0.0.1:${port}`)).toBe('SERVING');
      expect(tag.lines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          event: 'component.parked',
          component: 'tag-service.catalog-view',
        }),
      );
      expect(tag.lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          event: 'component.retry',
          component: 'tag-service.catalog-view',
        }),
      );
    } finally {
      client.close();
      await store.close();
      await tag.stop('SIGTERM');
    }
  }, 120_000);

  it("audit-service's consumer group is a component with a health entry and a lag", async () => {
    const run = randomUUID().replace(/-/g, '').slice(0, 8);
    const port = await freePort();
    const audit = await startServiceProcess('audit-service', {
      GRPC_PORT: String(port),
      DATABASE_URL: postgresUrl,
      DATABASE_SCHEMA: `health_audit_${run}`,
      KAFKA_BROKERS: kafkaBrokers.join(','),
    });
    try {
      await expect(checkHealth(`127.0.0.1:${port}`, 'audit-service.audit-trail')).resolves.toBe('SERVING');
      await eventually(
        async () =>
          expect(
            (await listComponents(port)).find((c) => c.name === 'audit-service.audit-trail'),
          ).toMatchObject({
            kind: 'consumer',
            state: 'running',
            lagKnown: true,
          }),
        30_000,
        200,
      );
      expect(await checkHealth(`127.0.0.1:${port}`)).toBe('SERVING');
    } finally {
      await audit.stop('SIGTERM');
    }
  }, 120_000);
});
