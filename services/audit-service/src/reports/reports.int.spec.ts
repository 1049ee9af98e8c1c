import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Pool } from 'pg';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { MUTE_EVENTS_TOPIC_V1, TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import { protoRoot, type RunningGrpcService } from '@tagguard/grpc-runtime';
import { KafkaTransport, type IntegrationMessage, type MessagePublisher } from '@tagguard/messaging';
import { eventually, freePort, tagguardClient, testInfra } from '@tagguard/testing';
import { loadAuditServiceConfig, startAuditService } from '../app';
import { weekId, weekStart } from './domain/iso-week';

// Issue 14 item 4 on a real PostgreSQL, a real Kafka broker and gRPC over a socket: tag-service's events
// published on its topic become trail records, and the reports are built from those records.
const run = randomUUID().slice(0, 8);
const schema = `audit_rep_${run}`;
const tenantA = `rep-a-${run}`;
const tenantB = `rep-b-${run}`;
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function caller(tenantId: string, roles = ['auditor']): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(
    'authorization',
    `Bearer ${signToken({ tenantId, actorId: 'auditor-1', roles }, loadDevPrivateKey())}`,
  );
  return metadata;
}

const event = (
  tenantId: string,
  type: string,
  data: Obj,
  correlationId = randomUUID(),
  key = 'tag-vip',
): IntegrationMessage => ({
  topic: TAG_EVENTS_TOPIC_V1,
  key,
  eventId: randomUUID(),
  type,
  schemaVersion: 1,
  data: { tenantId, revision: '1', ...data },
  metadata: { tenantId, actorId: 'manager-1', correlationId, occurredAt: new Date().toISOString() },
});

describe('operation reports from the trail (ReportService over gRPC, records from Kafka)', () => {
  let service: RunningGrpcService;
  let transport: KafkaTransport;
  let publisher: MessagePublisher;
  let client: grpc.Client;
  let pool: Pool;
  const call = (method: string, request: object, metadata: grpc.Metadata): Promise<Obj> =>
    new Promise((resolve, reject) =>
      (client as unknown as Record<string, (...a: unknown[]) => void>)[method]!.call(
        client,
        request,
        metadata,
        (e: grpc.ServiceError | null, v: Obj) => (e ? reject(e) : resolve(v)),
      ),
    );

  const deleteCorrelation = randomUUID();
  const critical = event(
    tenantA,
    'tag.sensitive_operation_detected.v1',
    {
      operationId: 'op-1',
      level: 'critical',
      operation: 'tag.delete',
      actorId: 'manager-1',
      actorDepartment: 'east',
      affected: [{ tagId: 'tag-vip', name: '<b>VIP客户</b>', memberCount: 240 }],
      totalMembers: 240,
      beforeState: '{}',
      approvedBy: null,
    },
    deleteCorrelation,
  );
  const deleted = event(
    tenantA,
    'tag.deleted.v1',
    { tagId: 'tag-vip', tagIds: ['tag-vip'], deletedBy: 'manager-1', purgeDueAt: '2026-12-04T00:00:00Z' },
    deleteCorrelation,
  );
  const frozen = event(
    tenantA,
    'tag.operator_frozen.v1',
    { actorId: 'manager-1', operationId: 'op-1', reason: 'critical delete of 240 members' },
    randomUUID(),
    tenantA,
  );
  const hq = event(
    tenantA,
    'tag.notification_requested.v1',
    {
      notificationId: 'n-1',
      channel: 'hq_audit',
      operationId: 'op-1',
      level: 'critical',
      summary: 'VIP deleted',
    },
    deleteCorrelation,
    tenantA,
  );
  const so = event(
    tenantA,
    'tag.notification_requested.v1',
    {
      notificationId: 'n-2',
      channel: 'security_officer',
      operationId: 'op-1',
      level: 'critical',
      summary: 'VIP deleted',
    },
    deleteCorrelation,
    tenantA,
  );
  const warning = event(tenantA, 'tag.sensitive_operation_detected.v1', {
    operationId: 'op-2',
    level: 'warning',
    operation: 'tag.members_removed',
    actorId: 'manager-1',
    actorDepartment: 'east',
    affected: [],
    totalMembers: 30,
    beforeState: '{}',
    approvedBy: null,
  });
  const restored = event(tenantA, 'tag.restored.v1', {
    tagId: 'tag-vip',
    tagIds: ['tag-vip'],
    restoredBy: 'admin-1',
  });
  const pointCorrelation = randomUUID();
  const toPoint = ['t1', 't2'].map((tagId) =>
    event(
      tenantA,
      'tag.restored_to_point.v1',
      {
        tagId,
        restoreId: 'r-1',
        asOf: '2026-11-30T08:00:00.000Z',
        name: tagId,
        parentId: null,
        status: 'active',
      },
      pointCorrelation,
      tagId,
    ),
  );
  const appliedCorrelation = randomUUID();
  const applied = event(
    tenantA,
    'tag.restore_applied.v1',
    {
      restoreId: 'r-2',
      rootId: 't3',
      asOf: '2026-11-30T09:00:00.000Z',
      level: 'none',
      approvedBy: null,
      changes: 1,
    },
    appliedCorrelation,
    tenantA,
  );
  const appliedEffect = event(
    tenantA,
    'tag.restored_to_point.v1',
    {
      tagId: 't3',
      restoreId: 'r-2',
      asOf: '2026-11-30T09:00:00.000Z',
      name: 't3',
      parentId: null,
      status: 'active',
    },
    appliedCorrelation,
    't3',
  );
  const rebuilt = event(
    tenantA,
    'tag.read_models_rebuilt.v1',
    {
      rebuildId: randomUUID(),
      verifyOnly: false,
      acceptDifferences: false,
      outcome: 'swapped',
      differences: 0,
    },
    randomUUID(),
    tenantA,
  );
  // As mute-service's unmute store publishes it when an unmute ends (unmute-store.ts), report included.
  const unmuteEnded: IntegrationMessage = {
    ...event(
      tenantA,
      'mute.temporary_unmute_ended.v1',
      {
        position: '0',
        unmuteId: 'u-1',
        tagId: 'tag-vip',
        endedAt: '2026-11-30T14:00:00.000Z',
        messagesLetThrough: 1,
        report: {
          unmuteId: 'u-1',
          tenantId: tenantA,
          tagId: 'tag-vip',
          tagName: 'VIP客户',
          unmutedBy: 'manager-1',
          startedAt: '2026-11-30T10:00:00.000Z',
          plannedEndAt: '2026-11-30T14:00:00.000Z',
          endedAt: '2026-11-30T14:00:00.000Z',
          endedBy: 'system',
          reason: 'expired',
          durationMs: 14_400_000,
          messages: [
            {
              messageId: 'm-1',
              recipientId: 'e-1',
              sender: 'external_customer:wm-1',
              senderCorpId: null,
              sentAt: '2026-11-30T11:00:00.000Z',
              otherwise: 'SILENT',
            },
          ],
          messageCount: 1,
          recipientCount: 1,
          senderCount: 1,
        },
      },
      randomUUID(),
      `${tenantA}/unmute/u-1`,
    ),
    topic: MUTE_EVENTS_TOPIC_V1,
  };
  const otherTenant = event(tenantB, 'tag.restored.v1', { tagId: 'x', tagIds: ['x'], restoredBy: 'admin-b' });
  const all = [
    critical,
    deleted,
    frozen,
    hq,
    so,
    warning,
    restored,
    ...toPoint,
    appliedEffect,
    applied,
    rebuilt,
    unmuteEnded,
    otherTenant,
  ];

  beforeAll(async () => {
    const { postgresUrl, kafkaBrokers } = testInfra();
    pool = new Pool({ connectionString: postgresUrl });
    transport = new KafkaTransport({ clientId: `audit-reports-${run}`, brokers: kafkaBrokers });
    const port = await freePort();
    service = await startAuditService(
      loadAuditServiceConfig({
        GRPC_PORT: String(port),
        DATABASE_URL: postgresUrl,
        DATABASE_SCHEMA: schema,
        AUDIT_TREE_HEAD_INTERVAL_MS: '3600000',
      }),
      { events: transport, logDestination: { write: () => undefined } },
    );
    publisher = await transport.publisher();
    // One by one: per-key order is all Kafka keeps, and the report of a restore names its first record.
    for (const m of all) await publisher.publish([m]);
    client = tagguardClient(`127.0.0.1:${port}`, 'tagguard/audit/v1/report_service.proto', protoRoot(), [
      'tagguard',
      'audit',
      'v1',
      'ReportService',
    ]);
    await eventually(
      async () => {
        const { rows } = await pool.query(
          `SELECT count(*)::int AS n FROM "${schema}".audit_records WHERE event_id = ANY($1::uuid[])`,
          [all.map((m) => m.eventId)],
        );
        expect(rows[0].n).toBe(all.length);
      },
      90_000,
      200,
    );
  }, 180_000);

  afterAll(async () => {
    client?.close();
    await publisher?.close();
    await service?.stop('test end');
    await transport?.close();
    await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool?.end();
  });

  it('lists the tenant’s operation reports, oldest first and paged: one per restore and per critical operation, none for a warning', async () => {
    const first = await call('ListReports', { pageSize: 3 }, caller(tenantA));
    const second = await call(
      'ListReports',
      { pageSize: 3, pageToken: first['nextPageToken'] },
      caller(tenantA),
    );
    expect(second['nextPageToken']).toBe('');
    const ids = [...first['reports'], ...second['reports']].map((r: Obj) => r['reportId']);
    expect(ids.sort()).toEqual(
      [
        `critical_operation:${critical.eventId}`,
        `restore:${restored.eventId}`,
        `restore:${toPoint[0]!.eventId}`,
        `restore:${applied.eventId}`,
        `rebuild:${rebuilt.eventId}`,
        `temporary_unmute:${unmuteEnded.eventId}`,
      ].sort(),
    );
    const restores = await call(
      'ListReports',
      { kind: 'REPORT_KIND_RESTORE' },
      caller(tenantA, ['security_officer']),
    );
    expect(restores['reports'].map((r: Obj) => r['kind'])).toEqual([
      'REPORT_KIND_RESTORE',
      'REPORT_KIND_RESTORE',
      'REPORT_KIND_RESTORE',
    ]);
    // An ended temporary unmute recorded from mute-service's topic is its report.
    const unmutes = await call('ListReports', { kind: 'REPORT_KIND_TEMPORARY_UNMUTE' }, caller(tenantA));
    expect(unmutes['reports'].map((r: Obj) => r['reportId'])).toEqual([
      `temporary_unmute:${unmuteEnded.eventId}`,
    ]);
    const unmute = JSON.parse(
      (
        await call(
          'GetReport',
          { reportId: `temporary_unmute:${unmuteEnded.eventId}`, format: 'REPORT_FORMAT_JSON' },
          caller(tenantA),
        )
      )['content'],
    );
    expect(Object.fromEntries(unmute.facts)).toMatchObject({
      tag: 'VIP客户 (tag-vip)',
      'unmuted by': 'manager-1',
      lasted: '4 h 0 min',
      'messages let through': '1',
    });
    expect(unmute.sections[0].rows).toEqual([
      ['2026-11-30T11:00:00.000Z', 'm-1', 'e-1', 'external_customer:wm-1', '', 'SILENT'],
    ]);
  });

  it('downloads the critical operation as JSON, CSV and a printable HTML page, with its freeze and notifications', async () => {
    const id = `critical_operation:${critical.eventId}`;
    const json = await call(
      'GetReport',
      { reportId: id, format: 'REPORT_FORMAT_JSON' },
      caller(tenantA, ['tenant_admin']),
    );
    const report = JSON.parse(json['content']);
    expect(json['contentType']).toBe('application/json');
    expect(Object.fromEntries(report.facts)).toMatchObject({
      actor: 'manager-1',
      'actor department': 'east',
      'members affected': '240',
      'operator frozen': 'yes (critical delete of 240 members)',
      'notifications requested': '2',
    });
    expect(report.basedOn.map((b: Obj) => b.eventId).sort()).toEqual(
      [critical, deleted, frozen, hq, so].map((m) => m.eventId).sort(),
    );
    expect(report.basedOn.every((b: Obj) => Number.isInteger(b.leafIndex))).toBe(true);
    const csv = await call('GetReport', { reportId: id, format: 'REPORT_FORMAT_CSV' }, caller(tenantA));
    expect(csv['filename']).toBe(`critical_operation-${critical.eventId}.csv`);
    expect(csv['content']).toContain('n-2,security_officer,critical,VIP deleted\r\n');
    const html = await call('GetReport', { reportId: id, format: 'REPORT_FORMAT_HTML' }, caller(tenantA));
    expect(html['content']).toContain('&#60;b&#62;VIP客户&#60;/b&#62;');
    expect(html['content']).not.toContain('<b>VIP');
  });

  it('builds one point-in-time restore report from both of its records, and the weekly report of this week', async () => {
    const restore = JSON.parse(
      (await call('GetReport', { reportId: `restore:${toPoint[0]!.eventId}` }, caller(tenantA)))['content'],
    );
    expect(restore.sections[0].rows.map((r: string[]) => r[0])).toEqual(['t1', 't2']);
    // Published effect first, then the whole: the report is still the restore_applied record's, and the
    // effect's own id is not a second report.
    const whole = JSON.parse(
      (await call('GetReport', { reportId: `restore:${applied.eventId}` }, caller(tenantA)))['content'],
    );
    expect(Object.fromEntries(whole.facts)).toMatchObject({ root: 't3', level: 'none', changes: '1' });
    expect(whole.sections[0].rows.map((r: string[]) => r[0])).toEqual(['t3']);
    await expect(
      call('GetReport', { reportId: `restore:${appliedEffect.eventId}` }, caller(tenantA)),
    ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    const week = weekId(weekStart(new Date()));
    const weeks = await call('ListReports', { kind: 'REPORT_KIND_WEEKLY' }, caller(tenantA));
    expect(weeks['reports'].map((r: Obj) => r['reportId'])).toEqual([`weekly:${week}`]);
    const weekly = JSON.parse(
      (await call('GetReport', { reportId: `weekly:${week}` }, caller(tenantA)))['content'],
    );
    const facts = Object.fromEntries(weekly.facts);
    expect(facts).toMatchObject({
      'trail records': '13', // tenant A's 13 records, the unmute's included
      'critical operations': '1',
      warnings: '1',
      'notifications requested': '2',
    });
    expect(weekly.sections[0].rows).toContainEqual(['tag.restored_to_point.v1', '3']);
  });

  it('is read only by auditors, security officers and tenant admins, each only in its own tenant, and names bad fields', async () => {
    await expect(call('ListReports', {}, caller(tenantA, ['tag_editor']))).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
    // Tenant B sees only its own restore, and tenant A's report id is not found there.
    const b = await call('ListReports', {}, caller(tenantB));
    expect(b['reports'].map((r: Obj) => r['reportId'])).toEqual([`restore:${otherTenant.eventId}`]);
    await expect(
      call('GetReport', { reportId: `critical_operation:${critical.eventId}` }, caller(tenantB)),
    ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    // A warning is not a critical operation report; an id of the wrong kind is not found either.
    await expect(
      call('GetReport', { reportId: `critical_operation:${warning.eventId}` }, caller(tenantA)),
    ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    const bad = await call('GetReport', { reportId: 'restore:not-a-uuid' }, caller(tenantA)).catch(
      (e: grpc.ServiceError) => e,
    );
    expect(bad).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect((bad as grpc.ServiceError).metadata.get('tg-field')).toEqual(['report_id']);
    await expect(call('ListReports', { pageSize: 500 }, caller(tenantA))).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
  });
});
