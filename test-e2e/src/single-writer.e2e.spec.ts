import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type * as grpc from '@grpc/grpc-js';
import { TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import { protoRoot } from '@tagguard/grpc-runtime';
import {
  checkHealth,
  eventually,
  freePort,
  startServiceProcess,
  tagguardClient,
  testInfra,
  type ServiceProcess,
} from '@tagguard/testing';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { serverStream, serviceClient, signedMetadata, unary } from './support/callers';

const TAGS = 300;

interface Component {
  name: string;
  state: string;
  role: string;
  lagKnown: boolean;
  lagEvents: string;
}

// Two tag-service instances on one database and one broker, each its own OS process: one leads the
// projection, processes and relay under a PostgreSQL lease, the other stands by and serves calls. The
// leader is SIGKILLed part-way through the writes; the standby takes over with a new epoch.
describe('single writer: two tag-service instances, the leader SIGKILLed mid-stream', () => {
  const { postgresUrl, kafkaBrokers } = testInfra();
  const pool = new Pool({ connectionString: postgresUrl });
  afterAll(() => pool.end());

  it('the standby takes over; the read model equals a replay and the topic holds every tag', async () => {
    const run = randomUUID().replace(/-/g, '').slice(0, 8);
    const tenant = `lease-${run}`;
    const admin = signedMetadata(tenant);
    const operator = signedMetadata(tenant, 'sre-1', ['tenant_admin', 'platform_operator']);
    const env = (port: number) => ({
      GRPC_PORT: String(port),
      DATABASE_URL: postgresUrl,
      DATABASE_SCHEMA: `lease_tag_${run}`,
      EVENTSTORE_SCHEMA: `lease_es_${run}`,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      RELAY_BATCH_SIZE: '20',
    });
    const components = async (port: number): Promise<Component[]> => {
      const client = tagguardClient<grpc.Client>(
        `127.0.0.1:${port}`,
        'tagguard/runtime/v1/components.proto',
        protoRoot(),
        ['tagguard', 'runtime', 'v1', 'ComponentsService'],
      );
      try {
        return (await unary<{ components: Component[] }>(client, 'ListComponents', {}, operator)).components;
      } finally {
        client.close();
      }
    };
    const [portA, portB] = [await freePort(), await freePort()];
    let a: ServiceProcess | undefined = await startServiceProcess('tag-service', env(portA));
    const b = await startServiceProcess('tag-service', env(portB));
    const clientA = serviceClient(`127.0.0.1:${portA}`, 'tag');
    const clientB = serviceClient(`127.0.0.1:${portB}`, 'tag');
    try {
      const leased = ['tag-service.catalog-view', 'tag-service.relay', 'tag-service.follow-up'];
      expect((await components(portA)).filter((c) => leased.includes(c.name))).toEqual(
        leased.map(() => expect.objectContaining({ role: 'leader', state: 'running' })),
      );
      expect((await components(portB)).filter((c) => leased.includes(c.name))).toEqual(
        leased.map(() => expect.objectContaining({ role: 'standby', state: 'standby' })),
      );
      // The standby is healthy (it serves calls) and says it is not the leader.
      expect(await checkHealth(`127.0.0.1:${portB}`)).toBe('SERVING');
      expect(await checkHealth(`127.0.0.1:${portB}`, 'tag-service.catalog-view')).toBe('SERVING');
      expect(await checkHealth(`127.0.0.1:${portB}`, 'tag-service.leader')).toBe('NOT_SERVING');
      expect(await checkHealth(`127.0.0.1:${portA}`, 'tag-service.leader')).toBe('SERVING');
      // A rebuild swaps the live tables: on the standby they move under it (the leader applies events).
      await expect(
        serverStream(
          serviceClient(`127.0.0.1:${portB}`, 'timeMachine'),
          'RebuildReadModels',
          { verifyOnly: true },
          operator,
        ),
      ).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });

      // A write through the standby, read back there at once with its token: the standby follows the
      // leader's checkpoint to know when the read model has the write.
      const early = randomUUID();
      const created = await unary<{ result: { consistencyToken: string } }>(
        clientB,
        'CreateTag',
        { tagId: early, name: 'early', kind: 'TAG_KIND_CUSTOMER' },
        admin,
      );
      await expect(
        unary(clientB, 'GetTag', { tagId: early, consistencyToken: created.result.consistencyToken }, admin),
      ).resolves.toMatchObject({ tag: expect.objectContaining({ tagId: early }) });

      const ids = Array.from({ length: TAGS }, () => randomUUID());
      let next = 0;
      let done = 0;
      const writing = Promise.all(
        Array.from({ length: 6 }, async (_, worker) => {
          for (let i = next++; i < TAGS; i = next++) {
            const request = { tagId: ids[i], name: `客户${i}`, kind: 'TAG_KIND_CUSTOMER' };
            // Half the writers go through A; once A is gone, its calls fail and are retried on B.
            const first = worker % 2 === 0 && a ? clientA : clientB;
            await unary(first, 'CreateTag', request, admin).catch((error: grpc.ServiceError) =>
              first === clientB && error.code !== 14
                ? Promise.reject(error)
                : unary(clientB, 'CreateTag', request, admin).catch((again: grpc.ServiceError) => {
                    // The first attempt may have committed before the kill.
                    if (again.code !== 6) throw again;
                  }),
            );
            done++;
          }
        }),
      );
      await eventually(() => expect(done).toBeGreaterThanOrEqual(TAGS / 3), 60_000, 5);
      await a.stop('SIGKILL');
      a = undefined;
      const atKill = done;
      await writing;
      expect(atKill).toBeLessThan(TAGS);

      await eventually(
        async () =>
          expect((await components(portB)).filter((c) => leased.includes(c.name))).toEqual(
            leased.map(() =>
              expect.objectContaining({ role: 'leader', state: 'running', lagKnown: true, lagEvents: '0' }),
            ),
          ),
        30_000,
        200,
      );
      expect(await checkHealth(`127.0.0.1:${portB}`, 'tag-service.leader')).toBe('SERVING');
      expect(await checkHealth(`127.0.0.1:${portB}`)).toBe('SERVING');

      // One take-over: the epoch went from 1 to 2, and the checkpoints were last written under it.
      const schema = `"lease_tag_${run}"`;
      const { rows: leases } = await pool.query<{ epoch: string }>(`SELECT epoch FROM ${schema}.leases`);
      expect(leases).toEqual([{ epoch: '2' }]);
      const { rows: marks } = await pool.query<{ name: string; epoch: string }>(
        `SELECT name, epoch FROM ${schema}.checkpoints WHERE name = ANY($1) ORDER BY name`,
        [['tag-service.catalog-view', 'tag-service.relay']],
      );
      expect(marks).toEqual([
        { name: 'tag-service.catalog-view', epoch: '2' },
        { name: 'tag-service.relay', epoch: '2' },
      ]);

      // Every tag is in the read model once, and the read model equals a replay of the log.
      const { rows: count } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${schema}.tag_nodes WHERE tenant_id = $1`,
        [tenant],
      );
      expect(count[0]!.n).toBe(TAGS + 1);
      const progress = await serverStream<{ phase: string; checks: { table: string; equal: boolean }[] }>(
        serviceClient(`127.0.0.1:${portB}`, 'timeMachine'),
        'RebuildReadModels',
        { verifyOnly: true },
        operator,
      );
      expect(progress.at(-1)!.phase).toBe('kept_live');
      expect(progress.at(-1)!.checks.length).toBeGreaterThan(0);
      expect(progress.at(-1)!.checks.filter((c) => !c.equal)).toEqual([]);

      // At-least-once: the topic holds a tag.created.v1 for every tag (duplicates allowed).
      const kafka = new Kafka({ clientId: 'lease-test', brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: `lease-test-${run}` });
      const published = new Set<string>();
      await consumer.connect();
      await consumer.subscribe({ topic: TAG_EVENTS_TOPIC_V1, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          if (
            message.headers?.['tg-tenant-id']?.toString() === tenant &&
            message.headers['tg-event-type']?.toString() === 'tag.created.v1'
          )
            published.add(message.key!.toString());
        },
      });
      try {
        await eventually(() => expect(published.size).toBe(TAGS + 1), 60_000, 200);
        expect([...ids, early].filter((id) => !published.has(id))).toEqual([]);
      } finally {
        await consumer.disconnect();
      }
    } finally {
      clientA.close();
      clientB.close();
      await a?.stop('SIGTERM');
      await b.stop('SIGTERM');
    }
  }, 240_000);
});
