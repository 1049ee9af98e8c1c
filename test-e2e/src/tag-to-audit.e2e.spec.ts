import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { protoRoot } from '@tagguard/grpc-runtime';
import {
  eventually,
  freePort,
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

// The first slice end to end, each service its own process: gRPC command in tag-service → event store →
// relay → Kafka → audit-service consumer (inbox) → ListAuditRecords over gRPC.
describe('tag changes reach the audit trail', () => {
  const run = randomUUID().slice(0, 8);
  const tenant = `tenant-${run}`;
  const key = loadDevPrivateKey();
  const auth = (tenantId: string) => {
    const m = new grpc.Metadata();
    m.set(
      'authorization',
      `Bearer ${signToken({ tenantId, actorId: 'admin-1', roles: ['tenant_admin'] }, key)}`,
    );
    return m;
  };
  let tag: ServiceProcess;
  let audit: ServiceProcess;
  let tags: grpc.Client & Record<string, Call>;
  let trail: grpc.Client & Record<string, Call>;
  const invoke = (
    client: grpc.Client & Record<string, Call>,
    method: string,
    request: object,
    metadata = auth(tenant),
  ) =>
    new Promise<Record<string, unknown>>((resolve, reject) =>
      client[method]!.call(client, request, metadata, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );

  beforeAll(async () => {
    const { postgresUrl, kafkaBrokers } = testInfra();
    const [tagPort, auditPort] = [await freePort(), await freePort()];
    const common = { DATABASE_URL: postgresUrl, KAFKA_BROKERS: kafkaBrokers.join(',') };
    [tag, audit] = await Promise.all([
      startServiceProcess('tag-service', {
        ...common,
        GRPC_PORT: String(tagPort),
        DATABASE_SCHEMA: `slice_tag_${run}`,
        EVENTSTORE_SCHEMA: `slice_es_${run}`,
      }),
      startServiceProcess('audit-service', {
        ...common,
        GRPC_PORT: String(auditPort),
        DATABASE_SCHEMA: `slice_audit_${run}`,
      }),
    ]);
    tags = tagguardClient(`127.0.0.1:${tagPort}`, 'tagguard/tag/v1/tag_service.proto', protoRoot(), [
      'tagguard',
      'tag',
      'v1',
      'TagService',
    ]);
    trail = tagguardClient(`127.0.0.1:${auditPort}`, 'tagguard/audit/v1/audit_service.proto', protoRoot(), [
      'tagguard',
      'audit',
      'v1',
      'AuditService',
    ]);
  });
  afterAll(async () => {
    tags?.close();
    trail?.close();
    await Promise.all([tag?.stop('SIGTERM'), audit?.stop('SIGTERM')]);
  });

  it('records each created, renamed and deleted tag exactly once, for its own tenant only', async () => {
    const tagIds = Array.from({ length: 20 }, () => randomUUID());
    for (const [i, tagId] of tagIds.entries())
      await invoke(tags, 'CreateTag', { tagId, name: `VIP客户${i}`, kind: 'TAG_KIND_CUSTOMER' });
    await invoke(tags, 'RenameTag', { tagId: tagIds[0], name: '意向客户', expectedRevision: '0' });
    await invoke(tags, 'DeleteTag', { tagId: tagIds[1], expectedRevision: '0' });

    const records = await eventually(async () => {
      const page = await invoke(trail, 'ListAuditRecords', { pageSize: 500 });
      expect(page['records']).toHaveLength(22);
      return page['records'] as { eventId: string; eventType: string; subjectId: string; actorId: string }[];
    }, 60_000);
    expect(new Set(records.map((r) => r.eventId)).size).toBe(22);
    expect(
      records
        .filter((r) => r.eventType === 'tag.created.v1')
        .map((r) => r.subjectId)
        .sort(),
    ).toEqual([...tagIds].sort());
    expect(records.find((r) => r.eventType === 'tag.renamed.v1')).toMatchObject({
      subjectId: tagIds[0],
      actorId: 'admin-1',
    });
    expect(records.find((r) => r.eventType === 'tag.deleted.v1')).toMatchObject({ subjectId: tagIds[1] });

    const other = await invoke(trail, 'ListAuditRecords', { pageSize: 500 }, auth(`other-${run}`));
    expect(other['records'] ?? []).toEqual([]);
  }, 120_000);
});
