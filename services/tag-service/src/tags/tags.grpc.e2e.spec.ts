import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { protoRoot } from '@tagguard/grpc-runtime';
import {
  checkHealth,
  eventually,
  freePort,
  messageFieldsByReflection,
  startServiceProcess,
  tagguardClient,
  testInfra,
  type ServiceProcess,
} from '@tagguard/testing';

type Call = (
  request: object,
  metadata: grpc.Metadata,
  callback: (error: grpc.ServiceError | null, response: Record<string, unknown>) => void,
) => void;
type TagClient = grpc.Client & Record<'CreateTag' | 'RenameTag' | 'DeleteTag' | 'GetTag' | 'ListTags', Call>;

// tag-service as its own process, called over a real gRPC socket with signed caller tokens.
describe('tagguard.tag.v1.TagService over gRPC', () => {
  let proc: ServiceProcess;
  let client: TagClient;
  let address: string;
  const key = loadDevPrivateKey();
  const auth = (tenantId: string) => {
    const metadata = new grpc.Metadata();
    metadata.set(
      'authorization',
      `Bearer ${signToken({ tenantId, actorId: 'admin-1', roles: ['tenant_admin'] }, key)}`,
    );
    return metadata;
  };
  const call = (method: keyof TagClient & string, request: object, metadata = auth('tenant-a')) =>
    new Promise<Record<string, unknown>>((resolve, reject) =>
      (client[method as 'CreateTag'] as Call).call(client, request, metadata, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );

  beforeAll(async () => {
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    const schema = `tag_grpc_${port}`;
    proc = await startServiceProcess('tag-service', {
      GRPC_PORT: String(port),
      DATABASE_URL: testInfra().postgresUrl,
      DATABASE_SCHEMA: schema,
      EVENTSTORE_SCHEMA: `${schema}_es`,
      KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
    });
    client = tagguardClient<TagClient>(address, 'tagguard/tag/v1/tag_service.proto', protoRoot(), [
      'tagguard',
      'tag',
      'v1',
      'TagService',
    ]);
  });
  afterAll(async () => {
    client?.close();
    await proc?.stop('SIGTERM');
  });

  it('reports TagService as SERVING in grpc.health.v1', async () => {
    await expect(checkHealth(address, 'tagguard.tag.v1.TagService')).resolves.toBe('SERVING');
  });

  it('describes messages through reflection as written in the .proto (what grpcurl relies on)', async () => {
    await expect(messageFieldsByReflection(address, 'tagguard.tag.v1.CreateTagRequest')).resolves.toEqual([
      'tag_id',
      'name',
      'kind',
    ]);
    await expect(messageFieldsByReflection(address, 'grpc.health.v1.HealthCheckRequest')).resolves.toEqual([
      'service',
    ]);
  });

  it('publishes each write to Kafka as an integration event keyed by tag id, with the envelope headers', async () => {
    const tagId = randomUUID();
    await call('CreateTag', { tagId, name: '意向客户', kind: 'TAG_KIND_CUSTOMER' });
    const kafka = new Kafka({
      clientId: 'tag-e2e',
      brokers: testInfra().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({ groupId: `tag-e2e.${randomUUID()}` });
    const seen: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: TAG_EVENTS_TOPIC_V1, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void (message.key?.toString() === tagId && seen.push(message)),
    });
    try {
      await eventually(() => expect(seen).toHaveLength(1), 30_000);
      const [message] = seen;
      expect(message!.headers!['tg-event-type']!.toString()).toBe('tag.created.v1');
      expect(message!.headers!['tg-tenant-id']!.toString()).toBe('tenant-a');
      expect(JSON.parse(message!.value!.toString())).toEqual({
        tenantId: 'tenant-a',
        tagId,
        name: '意向客户',
        kind: 'customer',
        revision: '0',
      });
    } finally {
      await consumer.disconnect();
    }
  });

  it('refuses a call without a token as UNAUTHENTICATED', async () => {
    await expect(call('GetTag', { tagId: randomUUID() }, new grpc.Metadata())).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
  });

  it('refuses a malformed tag id as INVALID_ARGUMENT naming the field, and writes nothing', async () => {
    const error = (await call('CreateTag', {
      tagId: 'not-a-uuid',
      name: 'VIP客户',
      kind: 'TAG_KIND_CUSTOMER',
    }).catch((e) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toContain('tag_id');
    expect(error.metadata.get('tg-field')).toEqual(['tag_id']);
  });

  it('refuses an empty name and an unspecified kind, naming each field', async () => {
    const noName = (await call('CreateTag', {
      tagId: randomUUID(),
      name: ' ',
      kind: 'TAG_KIND_MEMBER',
    }).catch((e) => e)) as grpc.ServiceError;
    expect([noName.code, noName.metadata.get('tg-field')]).toEqual([grpc.status.INVALID_ARGUMENT, ['name']]);
    const noKind = (await call('CreateTag', { tagId: randomUUID(), name: 'x' }).catch(
      (e) => e,
    )) as grpc.ServiceError;
    expect([noKind.code, noKind.metadata.get('tg-field')]).toEqual([grpc.status.INVALID_ARGUMENT, ['kind']]);
  });

  it('creates a tag and reads it back at once with the consistency token', async () => {
    const tagId = randomUUID();
    const { result } = (await call('CreateTag', { tagId, name: 'VIP客户', kind: 'TAG_KIND_CUSTOMER' })) as {
      result: Record<string, string>;
    };
    expect(result).toMatchObject({ tagId, revision: '0' });
    const { tag } = await call('GetTag', { tagId, consistencyToken: result['consistencyToken'] });
    expect(tag).toMatchObject({
      tagId,
      name: 'VIP客户',
      kind: 'TAG_KIND_CUSTOMER',
      revision: '0',
      deleted: false,
    });
  });

  it('answers a stale expected revision with ABORTED', async () => {
    const tagId = randomUUID();
    await call('CreateTag', { tagId, name: 'a', kind: 'TAG_KIND_MEMBER' });
    await call('RenameTag', { tagId, name: 'b', expectedRevision: '0' });
    await expect(call('RenameTag', { tagId, name: 'c', expectedRevision: '0' })).rejects.toMatchObject({
      code: grpc.status.ABORTED,
    });
  });

  it("answers another tenant's request for a tag with NOT_FOUND", async () => {
    const tagId = randomUUID();
    const { result } = (await call('CreateTag', { tagId, name: 'VIP客户', kind: 'TAG_KIND_CUSTOMER' })) as {
      result: Record<string, string>;
    };
    await expect(
      call('GetTag', { tagId, consistencyToken: result['consistencyToken'] }, auth('tenant-b')),
    ).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
    await expect(call('DeleteTag', { tagId, expectedRevision: '0' }, auth('tenant-b'))).rejects.toMatchObject(
      { code: grpc.status.NOT_FOUND },
    );
  });

  it('lists a tenant’s tags page by page with stable cursors', async () => {
    const tenant = `tenant-${randomUUID().slice(0, 8)}`;
    let token = '';
    for (let i = 0; i < 5; i++) {
      const { result } = (await call(
        'CreateTag',
        { tagId: randomUUID(), name: `t${i}`, kind: 'TAG_KIND_MEMBER' },
        auth(tenant),
      )) as { result: Record<string, string> };
      token = result['consistencyToken']!;
    }
    const first = await call('ListTags', { pageSize: 2, consistencyToken: token }, auth(tenant));
    const second = await call('ListTags', { pageSize: 2, pageToken: first['nextPageToken'] }, auth(tenant));
    const third = await call('ListTags', { pageSize: 2, pageToken: second['nextPageToken'] }, auth(tenant));
    const names = [first, second, third].flatMap((p) => (p['tags'] as { name: string }[]).map((t) => t.name));
    expect(names.sort()).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(third['nextPageToken']).toBe('');
    await expect(call('ListTags', { pageSize: 501 }, auth(tenant))).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
  });
});
