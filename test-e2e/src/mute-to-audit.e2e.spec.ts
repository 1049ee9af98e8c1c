import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import { protoRoot } from '@tagguard/grpc-runtime';
import { KafkaTransport, type MessagePublisher } from '@tagguard/messaging';
import {
  eventually,
  freePort,
  startServiceProcess,
  tagguardClient,
  testInfra,
  type ServiceProcess,
} from '@tagguard/testing';
import { signedMetadata, unary } from './support/callers';

const client = (address: string, file: string, service: string, pkg: string) =>
  tagguardClient<grpc.Client>(address, `tagguard/${pkg}/v1/${file}`, protoRoot(), [
    'tagguard',
    pkg,
    'v1',
    service,
  ]);

// Issue 14 items 1 and 4 across processes: mute-service's accepted change, its refused attempt and an
// ended temporary unmute reach audit-service's trail through mute-service's relay / outbox → Kafka, and
// the ended unmute is a REPORT_KIND_TEMPORARY_UNMUTE report built from the report mute-service published.
describe('mute-service’s changes, refusals and unmute reports reach the audit trail', () => {
  const run = randomUUID().slice(0, 8);
  const tenant = `tenant-${run}`;
  const admin = signedMetadata(tenant);
  const gateway = signedMetadata(tenant, 'gateway-1', ['mute.decide']);
  const auditor = signedMetadata(tenant, 'aud-1', ['auditor']);
  let mute: ServiceProcess | undefined;
  let audit: ServiceProcess | undefined;
  let transport: KafkaTransport;
  let publisher: MessagePublisher;
  const clients: grpc.Client[] = [];
  let rules: grpc.Client;
  let unmutes: grpc.Client;
  let trail: grpc.Client;
  let reports: grpc.Client;

  beforeAll(async () => {
    const { postgresUrl, kafkaBrokers } = testInfra();
    const [mutePort, auditPort] = [await freePort(), await freePort()];
    const common = { DATABASE_URL: postgresUrl, KAFKA_BROKERS: kafkaBrokers.join(',') };
    [mute, audit] = await Promise.all([
      startServiceProcess('mute-service', {
        ...common,
        GRPC_PORT: String(mutePort),
        DATABASE_SCHEMA: `m2a_${run}_mute`,
        EVENTSTORE_SCHEMA: `m2a_${run}_es`,
      }),
      startServiceProcess('audit-service', {
        ...common,
        GRPC_PORT: String(auditPort),
        DATABASE_SCHEMA: `m2a_${run}_audit`,
      }),
    ]);
    const [m, a] = [`127.0.0.1:${mutePort}`, `127.0.0.1:${auditPort}`];
    rules = client(m, 'rule_service.proto', 'RuleService', 'mute');
    unmutes = client(m, 'flow_service.proto', 'UnmuteService', 'mute');
    trail = client(a, 'audit_service.proto', 'AuditService', 'audit');
    reports = client(a, 'report_service.proto', 'ReportService', 'audit');
    clients.push(rules, unmutes, trail, reports);
    transport = new KafkaTransport({ clientId: `m2a-${run}`, brokers: kafkaBrokers });
    await transport.ensureTopics([TAG_EVENTS_TOPIC_V1]);
    publisher = await transport.publisher();
  }, 180_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await publisher?.close();
    await transport?.close();
    await Promise.all([mute?.stop('SIGTERM'), audit?.stop('SIGTERM')]);
  });

  it('records the rule, the refused rule, the unmute started and ended, and reports the unmute', async () => {
    // The tag as tag-service publishes it: mute-service unmutes only tags its copy knows.
    await publisher.publish([
      {
        topic: TAG_EVENTS_TOPIC_V1,
        key: 'suppliers',
        eventId: randomUUID(),
        type: 'tag.created.v1',
        schemaVersion: 1,
        data: {
          tenantId: tenant,
          revision: '0',
          tagId: 'suppliers',
          name: '供应商',
          kind: 'partner',
          nodeType: 'tag',
          parentId: null,
        },
        metadata: {
          tenantId: tenant,
          actorId: 'admin-1',
          correlationId: randomUUID(),
          occurredAt: new Date().toISOString(),
        },
      },
    ]);
    const rule = {
      rule: {
        ruleId: 'r-night',
        name: 'night',
        effect: 'RULE_EFFECT_SILENT',
        scope: { senderCorpIds: ['corp-x'] },
      },
    };
    await unary(rules, 'CreateRule', rule, admin);
    await expect(unary(rules, 'CreateRule', rule, gateway)).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
    const { unmute } = await eventually(
      () =>
        unary<{ unmute: { unmuteId: string } }>(
          unmutes,
          'StartTemporaryUnmute',
          { tagId: 'suppliers', tagName: '供应商', hours: 4 },
          admin,
        ),
      30_000,
      300,
    );
    await unary(unmutes, 'StopTemporaryUnmute', { unmuteId: unmute.unmuteId }, admin);

    type Rec = { eventType: string; actorId: string; subjectId: string; dataJson: string };
    const records = await eventually(async () => {
      const page = await unary(trail, 'ListAuditRecords', { pageSize: 500 }, auditor);
      const types = (page['records'] as Rec[]).map((r) => r.eventType);
      expect(types).toEqual(
        expect.arrayContaining([
          'mute.rule_changed.v1',
          'access.denied.v1',
          'mute.temporary_unmute_started.v1',
          'mute.temporary_unmute_ended.v1',
        ]),
      );
      return page['records'] as Rec[];
    }, 60_000);
    const of = (type: string) => records.find((r) => r.eventType === type)!;
    expect(of('mute.rule_changed.v1')).toMatchObject({
      actorId: 'admin-1',
      subjectId: `${tenant}/rule/r-night`,
    });
    expect(of('access.denied.v1')).toMatchObject({ actorId: 'gateway-1' });
    expect(JSON.parse(of('access.denied.v1').dataJson)).toMatchObject({
      rpc: '/tagguard.mute.v1.RuleService/CreateRule',
      code: 'MUTE.PERMISSION_DENIED',
      roles: ['mute.decide'],
    });
    expect(of('mute.temporary_unmute_ended.v1')).toMatchObject({
      actorId: 'admin-1',
      subjectId: `${tenant}/unmute/${unmute.unmuteId}`,
    });

    const ended = of('mute.temporary_unmute_ended.v1') as Rec & { eventId: string };
    const listed = await unary(reports, 'ListReports', { kind: 'REPORT_KIND_TEMPORARY_UNMUTE' }, auditor);
    expect((listed['reports'] as { reportId: string }[]).map((r) => r.reportId)).toEqual([
      `temporary_unmute:${ended.eventId}`,
    ]);
    const report = JSON.parse(
      (
        await unary(
          reports,
          'GetReport',
          { reportId: `temporary_unmute:${ended.eventId}`, format: 'REPORT_FORMAT_JSON' },
          auditor,
        )
      )['content'] as string,
    );
    expect(Object.fromEntries(report.facts)).toMatchObject({
      unmute: unmute.unmuteId,
      tag: '供应商 (suppliers)',
      'unmuted by': 'admin-1',
      'ended by': 'admin-1',
      'ended because': 'stopped',
      'messages let through': '0',
    });
  }, 240_000);
});
