import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import {
  DIRECTORY_ACCESS_DENIED_TOPIC_V1,
  DIRECTORY_EVENTS_TOPIC_V1,
  DOWNSTREAM_EVENTS_TOPIC_V1,
  MUTE_ACCESS_DENIED_TOPIC_V1,
  MUTE_COMMERCE_EVENTS_TOPIC_V1,
  MUTE_EVENTS_TOPIC_V1,
  PERMISSION_ACCESS_DENIED_TOPIC_V1,
  PERMISSION_EVENTS_TOPIC_V1,
  TAG_ACCESS_DENIED_TOPIC_V1,
  TAG_EVENTS_TOPIC_V1,
} from '@tagguard/contracts';
import { protoRoot, type RunningGrpcService } from '@tagguard/grpc-runtime';
import { KafkaTransport, type IntegrationMessage, type MessagePublisher } from '@tagguard/messaging';
import { eventually, freePort, tagguardClient, testInfra } from '@tagguard/testing';
import * as protobuf from 'protobufjs';
import { Pool } from 'pg';
import { loadAuditServiceConfig, startAuditService } from '../app';

// Issue 14 items 1 and 5 on real PostgreSQL, Kafka and gRPC: the trail records every service's topic
// (changes and denied attempts) with the actor's department from its own directory copy; every RPC of
// the audit package refuses a caller without a reader role (and records the refusal); a reader sees only
// its own tenant.
const run = randomUUID().slice(0, 8);
const schema = `audit_cpl_${run}`;
const tenantA = `acme-${run}`;
const tenantB = `other-${run}`;

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function token(tenantId: string, actorId: string, roles: string[]): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${signToken({ tenantId, actorId, roles }, loadDevPrivateKey())}`);
  return metadata;
}

function message(
  topic: string,
  type: string,
  actorId: string,
  data: object,
  tenantId = tenantA,
  key = `${tenantId}/${type}`,
): IntegrationMessage {
  return {
    topic,
    key,
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data: { tenantId, ...data },
    metadata: { tenantId, actorId, correlationId: randomUUID(), occurredAt: new Date().toISOString() },
  };
}

const denial = (topic: string, rpc: string) =>
  message(topic, 'access.denied.v1', 'e-zhang', {
    actorId: 'e-zhang',
    roles: ['employee'],
    rpc,
    resource: { field: 'tagId', id: 't-1' },
    code: 'X.PERMISSION_DENIED',
    reason: 'not allowed',
  });

/** Every method of every service in tagguard.audit.v1, from the .proto files (C's and E's included). */
function auditMethods(): { service: string; file: string; method: string; serverStream: boolean }[] {
  const root = new protobuf.Root();
  root.resolvePath = (_o, target) => (target.startsWith('/') ? target : join(protoRoot(), target));
  const dir = join(protoRoot(), 'tagguard/audit/v1');
  root.loadSync(
    require('node:fs') // eslint-disable-line @typescript-eslint/no-require-imports
      .readdirSync(dir)
      .filter((f: string) => f.endsWith('.proto'))
      .map((f: string) => join(dir, f)),
    { keepCase: true },
  );
  const pkg = root.lookup('tagguard.audit.v1') as protobuf.Namespace;
  return pkg.nestedArray
    .filter((n): n is protobuf.Service => n instanceof protobuf.Service)
    .flatMap((s) =>
      s.methodsArray.map((m) => ({
        service: s.name,
        file: relative(protoRoot(), s.filename!),
        method: m.name,
        serverStream: !!m.responseStream,
      })),
    );
}

const AUDIT_METHODS = auditMethods();

describe('the trail holds every service’s changes and denied attempts; only its readers read it', () => {
  let service: RunningGrpcService;
  let transport: KafkaTransport;
  let publisher: MessagePublisher;
  let pool: Pool;
  const clients = new Map<string, grpc.Client>();
  let port: number;

  const client = (serviceName: string): grpc.Client => {
    if (!clients.has(serviceName)) {
      const file = AUDIT_METHODS.find((m) => m.service === serviceName)!.file;
      clients.set(
        serviceName,
        tagguardClient(`127.0.0.1:${port}`, file, protoRoot(), ['tagguard', 'audit', 'v1', serviceName]),
      );
    }
    return clients.get(serviceName)!;
  };
  const call = (
    serviceName: string,
    method: string,
    request: object,
    metadata: grpc.Metadata,
    stream = false,
  ) =>
    new Promise<Obj>((resolve, reject) => {
      const c = client(serviceName) as unknown as Record<string, (...a: unknown[]) => unknown>;
      if (stream) {
        const s = c[method]!.call(c, request, metadata) as grpc.ClientReadableStream<Obj>;
        const items: Obj[] = [];
        s.on('data', (m: Obj) => items.push(m));
        s.on('error', reject);
        s.on('end', () => resolve({ items }));
        return;
      }
      c[method]!.call(c, request, metadata, (e: grpc.ServiceError | null, v: Obj) =>
        e ? reject(e) : resolve(v),
      );
    });
  const records = async (tenantId: string): Promise<Obj[]> =>
    (
      await call('AuditService', 'ListAuditRecords', { pageSize: 500 }, token(tenantId, 'aud-1', ['auditor']))
    )['records'] as Obj[];

  beforeAll(async () => {
    const { postgresUrl, kafkaBrokers } = testInfra();
    pool = new Pool({ connectionString: postgresUrl });
    transport = new KafkaTransport({ clientId: `audit-cpl-${run}`, brokers: kafkaBrokers });
    port = await freePort();
    service = await startAuditService(
      loadAuditServiceConfig({
        GRPC_PORT: String(port),
        DATABASE_URL: postgresUrl,
        DATABASE_SCHEMA: schema,
        AUDIT_TREE_HEAD_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'audit-cpl-')), 'key.pem'),
        AUDIT_TREE_HEAD_INTERVAL_MS: '3600000',
      }),
      { events: transport, logDestination: { write: () => undefined } },
    );
    publisher = await transport.publisher();
  }, 120_000);
  afterAll(async () => {
    for (const c of clients.values()) c.close();
    await service?.stop('test end');
    await transport?.close();
    await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool?.end();
  });

  it('records changes and denials from every topic once, each with its actor’s department', async () => {
    const employee = message(DIRECTORY_EVENTS_TOPIC_V1, 'directory.employee_upserted.v1', 'admin-1', {
      revision: '3',
      employeeId: 'e-zhang',
      name: '张三',
      departmentIds: ['d-market-2', 'd-hq'],
      mainDepartmentId: 'd-market-2',
      position: 'manager',
      status: 'active',
      leaderInDepartmentIds: [],
    });
    await publisher.publish([employee]);
    await eventually(
      async () => expect((await records(tenantA)).map((r) => r['eventType'])).toContain(employee.type),
      60_000,
    );
    const changes = [
      message(TAG_EVENTS_TOPIC_V1, 'tag.reordered.v1', 'e-zhang', { revision: '4', tagId: 't-1', order: 2 }),
      // Keyed by tenant, as permission-service publishes (permissionPartitionKeyV1).
      message(
        PERMISSION_EVENTS_TOPIC_V1,
        'permission.rules_reordered.v1',
        'e-zhang',
        { revision: '1', position: '42', ruleIds: ['r2', 'r1'], by: 'e-zhang' },
        tenantA,
        tenantA,
      ),
      message(
        MUTE_EVENTS_TOPIC_V1,
        'mute.rule_changed.v1',
        'e-zhang',
        {
          revision: '1',
          position: '7',
          ruleId: 'r-night',
          rule: { ruleId: 'r-night' },
          removed: false,
          by: 'e-zhang',
        },
        tenantA,
        `${tenantA}/rule/r-night`,
      ),
      message(
        MUTE_COMMERCE_EVENTS_TOPIC_V1,
        'commerce.store_visited.v1',
        'e-zhang',
        { customerId: 'wm-1', visitId: 'v-1', storeId: 's-1', visitedAt: '2026-12-01T10:00:00Z' },
        tenantA,
        `${tenantA}/wm-1`,
      ),
      message(DOWNSTREAM_EVENTS_TOPIC_V1, 'downstream.channel_enabled.v1', 'e-zhang', {
        revision: '1',
        channelId: 'mail-accounts',
      }),
      denial(TAG_ACCESS_DENIED_TOPIC_V1, '/tagguard.tag.v1.TagService/DeleteTag'),
      denial(PERMISSION_ACCESS_DENIED_TOPIC_V1, '/tagguard.permission.v1.PolicyService/MoveRule'),
      denial(DIRECTORY_ACCESS_DENIED_TOPIC_V1, '/tagguard.sync.v1.DirectoryService/DisableEmployee'),
      denial(MUTE_ACCESS_DENIED_TOPIC_V1, '/tagguard.mute.v1.RuleService/CreateRule'),
    ];
    for (const m of changes) await publisher.publish([m]);
    await publisher.publish([changes[6]!]); // redelivered: no second record
    const ids = changes.map((m) => m.eventId);
    await eventually(
      async () =>
        expect((await records(tenantA)).filter((r) => ids.includes(r['eventId']))).toHaveLength(
          changes.length,
        ),
      60_000,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const trail = (await records(tenantA)).filter((r) => ids.includes(r['eventId']));
    expect(trail).toHaveLength(changes.length);
    for (const r of trail) expect(r).toMatchObject({ actorId: 'e-zhang', actorDepartmentId: 'd-market-2' });
    expect(
      // Four topics: no order between them.
      trail
        .filter((r) => r['eventType'] === 'access.denied.v1')
        .map((r) => JSON.parse(r['dataJson']).rpc)
        .sort(),
    ).toEqual([
      '/tagguard.mute.v1.RuleService/CreateRule',
      '/tagguard.permission.v1.PolicyService/MoveRule',
      '/tagguard.sync.v1.DirectoryService/DisableEmployee',
      '/tagguard.tag.v1.TagService/DeleteTag',
    ]);
    // The subject is the object, not the Kafka key: permission-service keys its events by tenant.
    const subjectOf = (type: string) => trail.find((r) => r['eventType'] === type)!['subjectId'];
    expect(subjectOf('permission.rules_reordered.v1')).toBe(`${tenantA}/rule-order/tree`);
    expect(subjectOf('mute.rule_changed.v1')).toBe(`${tenantA}/rule/r-night`);
    expect(subjectOf('commerce.store_visited.v1')).toBe(`${tenantA}/wm-1`);
    // The department is part of the leaf: the stored log still verifies.
    await expect(
      call('AuditService', 'VerifyTrail', {}, token(tenantA, 'aud-1', ['auditor'])),
    ).resolves.toMatchObject({ ok: true });
  }, 180_000);

  it('records a tenant admin’s channel changes in its trail, with the row, never the secret', async () => {
    const admin = token(tenantA, 'e-zhang', ['tenant_admin']);
    const channel = {
      channelId: 'hq-hook',
      targets: ['hq_audit'],
      webhook: { url: 'https://hq.example/hook' },
    };
    const put = await call('NotificationService', 'PutChannel', { channel, expectedRevision: '0' }, admin);
    // A refused write (stale revision) writes neither the row nor a record.
    await expect(
      call('NotificationService', 'PutChannel', { channel, expectedRevision: '0' }, admin),
    ).rejects.toMatchObject({ code: grpc.status.ABORTED });
    await call(
      'NotificationService',
      'RemoveChannel',
      { channelId: 'hq-hook', expectedRevision: '1' },
      admin,
    );
    const changes = (await records(tenantA)).filter(
      (r) => r['eventType'] === 'audit.notification_channel_changed.v1',
    );
    expect(changes.map((r) => [r['actorId'], r['actorDepartmentId'], r['subjectId']])).toEqual([
      ['e-zhang', 'd-market-2', `${tenantA}/notification-channel/hq-hook`],
      ['e-zhang', 'd-market-2', `${tenantA}/notification-channel/hq-hook`],
    ]);
    expect(changes.map((r) => JSON.parse(r['dataJson']))).toEqual([
      expect.objectContaining({ channelId: 'hq-hook', revision: 1, removed: false, targets: ['hq_audit'] }),
      expect.objectContaining({ channelId: 'hq-hook', revision: 1, removed: true }),
    ]);
    expect(changes.some((r) => String(r['dataJson']).includes(put['webhookSecret']))).toBe(false);
    await expect(
      call('AuditService', 'VerifyTrail', {}, token(tenantA, 'aud-1', ['auditor'])),
    ).resolves.toMatchObject({ ok: true });
  }, 60_000);

  it.each(AUDIT_METHODS)(
    '$service/$method refuses a caller without a reader role, and the refusal is in its trail',
    async ({ service: s, method, serverStream }) => {
      const denied = call(s, method, {}, token(tenantB, `intruder-${method}`, ['employee']), serverStream);
      await expect(denied).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
      const trail = await records(tenantB);
      expect(
        trail.filter((r) => r['eventType'] === 'access.denied.v1' && r['actorId'] === `intruder-${method}`),
      ).toHaveLength(1);
      expect(JSON.parse(trail.find((r) => r['actorId'] === `intruder-${method}`)!['dataJson'])).toMatchObject(
        {
          rpc: `/tagguard.audit.v1.${s}/${method}`,
          code: 'AUDIT.PERMISSION_DENIED',
        },
      );
    },
  );

  it('shows a reader only its own tenant: another tenant’s records are not there, nor provable', async () => {
    const a = await records(tenantA);
    const b = await records(tenantB);
    expect(b.some((r) => a.some((x) => x['eventId'] === r['eventId']))).toBe(false);
    expect(b.every((r) => JSON.parse(r['dataJson']).tenantId === tenantB)).toBe(true);
    await expect(
      call(
        'AuditService',
        'GetInclusionProof',
        { eventId: a[0]!['eventId'], treeSize: '1' },
        token(tenantB, 'aud-2', ['auditor']),
      ),
    ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    const exported = await call(
      'AuditService',
      'ExportRecords',
      { treeSize: String(b.length) },
      token(tenantB, 'aud-2', ['tenant_admin']),
      true,
    );
    expect(exported['items']).toHaveLength(b.length);
    expect((exported['items'] as Obj[]).every((m) => JSON.parse(m['line']).tenant_id === tenantB)).toBe(true);
  });
});
