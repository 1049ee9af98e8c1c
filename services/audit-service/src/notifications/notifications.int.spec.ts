import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Pool } from 'pg';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import { protoRoot, type RunningGrpcService } from '@tagguard/grpc-runtime';
import { KafkaTransport, type IntegrationMessage, type MessagePublisher } from '@tagguard/messaging';
import { eventually, freePort, tagguardClient, testInfra } from '@tagguard/testing';
import { demoDirectory, startWeComSandbox, type WeComSandbox } from '@tagguard/wecom-sandbox';
import { loadAuditServiceConfig, startAuditService } from '../app';
import { DELIVERY_ATTEMPTED_TYPE } from './notification-dispatcher';
import { startSmtpSink } from './testing/smtp-sink';
import { startWebhookReceiver } from './testing/webhook-receiver';

// Issue 14 item 3 on real PostgreSQL, Kafka, gRPC, HTTP (a Standard Webhooks receiver that verifies every
// signature), SMTP (smtp-server) and the WeCom sandbox's message/send.
const run = randomUUID().slice(0, 8);
const schema = `audit_nt_${run}`;
const CORP = `wwnotify${run}`;
// Long enough that the three warnings of the digest test, published just after a period starts, are all
// consumed within it on a loaded machine (the period is the one the consumer sees them in).
const DIGEST_MS = 5_000;

/** The Subject header of a raw mail, its RFC 2047 Q-encoded words decoded. */
function subjectOf(raw: string): string {
  const header = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(raw)?.[1] ?? '';
  return header
    .replace(/\r?\n[ \t]/g, ' ')
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_, q: string) =>
      Buffer.from(
        q
          .replace(/_/g, ' ')
          .replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      ).toString('utf8'),
    );
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function caller(tenantId: string, roles = ['tenant_admin']): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(
    'authorization',
    `Bearer ${signToken({ tenantId, actorId: 'admin-1', roles }, loadDevPrivateKey())}`,
  );
  return metadata;
}

describe('notification delivery (webhooks, SMTP, WeCom; retries, dead letters, digests)', () => {
  const keyDir = mkdtempSync(join(tmpdir(), 'audit-nt-'));
  let service: RunningGrpcService | undefined;
  let transport: KafkaTransport | undefined;
  let publisher: MessagePublisher;
  let publisherTransport: KafkaTransport;
  let client: grpc.Client;
  let port: number;
  let pool: Pool;
  let sandbox: WeComSandbox;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  const secrets = new Map<string, string>();
  let hq: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let flaky: Awaited<ReturnType<typeof startWebhookReceiver>>;

  const start = async (overrides: Record<string, string> = {}) => {
    transport = new KafkaTransport({
      clientId: `audit-nt-${run}`,
      brokers: testInfra().kafkaBrokers,
      sessionTimeoutMs: 6_000,
    });
    service = await startAuditService(
      loadAuditServiceConfig({
        GRPC_PORT: String(port),
        DATABASE_URL: testInfra().postgresUrl,
        DATABASE_SCHEMA: schema,
        AUDIT_TREE_HEAD_KEY_FILE: join(keyDir, 'key.pem'),
        AUDIT_TREE_HEAD_INTERVAL_MS: '3600000',
        AUDIT_SMTP_URL: smtp.url,
        AUDIT_SMTP_FROM: 'TagGuard <audit@tagguard.test>',
        AUDIT_WECOM_API_URL: sandbox.url,
        AUDIT_NOTIFY_POLL_MS: '100',
        AUDIT_NOTIFY_MAX_ATTEMPTS: '4',
        AUDIT_NOTIFY_RETRY_BASE_MS: '200',
        AUDIT_NOTIFY_RETRY_MAX_MS: '1000',
        AUDIT_DIGEST_PERIOD_MS: String(DIGEST_MS),
        ...overrides,
      }),
      { events: transport, logDestination: { write: () => undefined } },
    );
  };
  const stop = async () => {
    await service?.stop('test');
    await transport?.close();
    service = undefined;
  };

  const call = (method: string, request: object, metadata: grpc.Metadata): Promise<Obj> =>
    new Promise((resolve, reject) =>
      (client as unknown as Record<string, (...a: unknown[]) => void>)[method]!.call(
        client,
        request,
        metadata,
        (e: grpc.ServiceError | null, v: Obj) => (e ? reject(e) : resolve(v)),
      ),
    );
  const deliveries = async (tenantId: string, extra: object = {}) =>
    (await call('ListNotifications', { pageSize: 500, ...extra }, caller(tenantId, ['auditor'])))[
      'deliveries'
    ] as Obj[];

  const message = (tenantId: string, type: string, data: Obj): IntegrationMessage => ({
    topic: TAG_EVENTS_TOPIC_V1,
    key: tenantId,
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data: { tenantId, revision: '1', ...data },
    metadata: {
      tenantId,
      actorId: 'lisi',
      correlationId: randomUUID(),
      occurredAt: new Date().toISOString(),
    },
  });
  const critical = (tenantId: string, operationId: string, channel: string) =>
    message(tenantId, 'tag.notification_requested.v1', {
      notificationId: `${operationId}:${channel}`,
      channel,
      operationId,
      level: 'critical',
      summary: `lisi (d2) deleted tag VIP客户 with 230 members [${operationId}]`,
    });
  const warning = (tenantId: string, operationId: string) =>
    message(tenantId, 'tag.sensitive_operation_detected.v1', {
      operationId,
      level: 'warning',
      operation: 'bulk_remove',
      actorId: 'wangwu',
      actorDepartment: 'd3',
      affected: [],
      totalMembers: 60,
      beforeState: `tag 意向客户 had 60 of these members removed [${operationId}]`,
      approvedBy: null,
    });
  const putWebhook = async (tenantId: string, channelId: string, url: string, targets: string[]) => {
    const put = await call(
      'PutChannel',
      { channel: { channelId, targets, webhook: { url } }, expectedRevision: '0' },
      caller(tenantId),
    );
    secrets.set(`${tenantId}/${channelId}`, put['webhookSecret']);
    return put;
  };
  const tenant = (name: string) => `${name}-${run}`;

  beforeAll(async () => {
    pool = new Pool({ connectionString: testInfra().postgresUrl });
    smtp = await startSmtpSink();
    sandbox = await startWeComSandbox({
      corps: [{ corpId: CORP, secret: 'notify-secret', agentId: 1000007 }],
    });
    sandbox.admin(CORP).seed(demoDirectory());
    hq = await startWebhookReceiver(() => secrets.get(`${tenant('a')}/hq`));
    flaky = await startWebhookReceiver(() => secrets.get(`${tenant('r')}/flaky`));
    port = await freePort();
    await start();
    publisherTransport = new KafkaTransport({
      clientId: `audit-nt-pub-${run}`,
      brokers: testInfra().kafkaBrokers,
    });
    await publisherTransport.ensureTopics([TAG_EVENTS_TOPIC_V1]);
    publisher = await publisherTransport.publisher();
    client = tagguardClient(
      `127.0.0.1:${port}`,
      'tagguard/audit/v1/notification_service.proto',
      protoRoot(),
      ['tagguard', 'audit', 'v1', 'NotificationService'],
    );
  });
  afterAll(async () => {
    client?.close();
    await stop();
    await publisherTransport?.close();
    await Promise.all([hq?.close(), flaky?.close(), smtp?.close(), sandbox?.close()]);
    await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool?.end();
  });

  it('configures channels per tenant: bad input names the field and writes nothing, only tenant_admin writes, stale revisions abort', async () => {
    const t = tenant('a');
    const bad = await call(
      'PutChannel',
      { channel: { channelId: 'hq', targets: ['ceo'], webhook: { url: hq.url } }, expectedRevision: '0' },
      caller(t),
    ).catch((e: grpc.ServiceError) => e);
    expect(bad).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect((bad as grpc.ServiceError).metadata.get('tg-field')).toEqual(['channel.targets']);
    const denied = await call(
      'PutChannel',
      { channel: { channelId: 'hq', targets: ['hq_audit'], webhook: { url: hq.url } } },
      caller(t, ['auditor']),
    ).catch((e: grpc.ServiceError) => e);
    expect(denied).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    expect((await call('ListChannels', {}, caller(t, ['auditor'])))['channels']).toEqual([]);

    const put = await putWebhook(t, 'hq', hq.url, ['hq_audit']);
    expect(put['webhookSecret']).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(put['channel']).toMatchObject({ channelId: 'hq', revision: '1', webhook: { url: hq.url } });
    await call(
      'PutChannel',
      {
        channel: {
          channelId: 'so-mail',
          targets: ['security_officer'],
          email: { recipients: ['so@corp.example', 'hq-audit@corp.example'] },
        },
      },
      caller(t),
    );
    await call(
      'PutChannel',
      {
        channel: {
          channelId: 'so-wecom',
          targets: ['security_officer'],
          wecom: {
            corpId: CORP,
            agentId: '1000007',
            secret: 'notify-secret',
            toUser: ['zhangsan', 'nobody'],
            toParty: [],
          },
        },
      },
      caller(t),
    );
    const again = await call(
      'PutChannel',
      {
        channel: { channelId: 'hq', targets: ['hq_audit'], webhook: { url: hq.url } },
        expectedRevision: '0',
      },
      caller(t),
    ).catch((e: grpc.ServiceError) => e);
    expect(again).toMatchObject({ code: grpc.status.ABORTED });
    const listed = (await call('ListChannels', {}, caller(t, ['security_officer'])))['channels'] as Obj[];
    expect(listed.map((c) => c['channelId'])).toEqual(['hq', 'so-mail', 'so-wecom']);
    expect(listed[2]!['wecom']['secret']).toBe(''); // write-only
    expect((await call('ListChannels', {}, caller(tenant('other'), ['auditor'])))['channels']).toEqual([]);
    // Replace at the current revision, remove at it; a stale one aborts and changes nothing.
    const tmp = {
      channelId: 'tmp',
      targets: ['custom:risk-team'],
      email: { recipients: ['risk@corp.example'] },
    };
    await call('PutChannel', { channel: tmp }, caller(t));
    const replaced = await call(
      'PutChannel',
      { channel: { ...tmp, targets: ['hq_audit'] }, expectedRevision: '1' },
      caller(t),
    );
    expect(replaced['channel']).toMatchObject({ revision: '2', targets: ['hq_audit'] });
    expect(replaced['webhookSecret']).toBe('');
    const asWebhook = await call(
      'PutChannel',
      {
        channel: { channelId: 'tmp', targets: ['hq_audit'], webhook: { url: hq.url } },
        expectedRevision: '2',
      },
      caller(t),
    );
    expect(asWebhook).toMatchObject({
      channel: { revision: '3' },
      webhookSecret: expect.stringMatching(/^whsec_/),
    });
    const again2 = await call(
      'PutChannel',
      {
        channel: { channelId: 'tmp', targets: ['hq_audit'], webhook: { url: hq.url } },
        expectedRevision: '3',
      },
      caller(t),
    );
    expect(again2['webhookSecret']).toBe(''); // kept: its receivers hold it
    const stale = await call('RemoveChannel', { channelId: 'tmp', expectedRevision: '2' }, caller(t)).catch(
      (e: grpc.ServiceError) => e,
    );
    expect(stale).toMatchObject({ code: grpc.status.ABORTED });
    await call('RemoveChannel', { channelId: 'tmp', expectedRevision: '4' }, caller(t));
    const gone = await call('RemoveChannel', { channelId: 'tmp', expectedRevision: '4' }, caller(t)).catch(
      (e: grpc.ServiceError) => e,
    );
    expect(gone).toMatchObject({ code: grpc.status.NOT_FOUND });
    expect(
      ((await call('ListChannels', {}, caller(t)))['channels'] as Obj[]).map((c) => c['channelId']),
    ).toEqual(['hq', 'so-mail', 'so-wecom']);
  });

  it('delivers a critical notification at once on every channel of its target, once, even when the event is redelivered', async () => {
    const t = tenant('a');
    const hqEvent = critical(t, 'op-crit', 'hq_audit');
    const soEvent = critical(t, 'op-crit', 'security_officer');
    await publisher.publish([hqEvent, soEvent]);
    await publisher.publish([hqEvent]); // a redelivery plans nothing twice
    const done = await eventually(
      async () => {
        const list = await deliveries(t);
        expect(list.map((d) => [d['channelId'], d['status']]).sort()).toEqual([
          ['hq', 'DELIVERY_STATUS_DELIVERED'],
          ['so-mail', 'DELIVERY_STATUS_DELIVERED'],
          ['so-wecom', 'DELIVERY_STATUS_DELIVERED'],
        ]);
        return list;
      },
      30_000,
      200,
    );
    const hook = hq.received.filter((r) => r.body.includes('op-crit'));
    expect(hook).toHaveLength(1);
    expect(hook[0]).toMatchObject({
      status: 204,
      id: done.find((d) => d['channelId'] === 'hq')!['deliveryId'],
    });
    expect(hook[0]!.verified).toMatchObject({
      type: 'tagguard.notification.v1',
      data: {
        tenant_id: t,
        target: 'hq_audit',
        level: 'critical',
        notifications: [{ notification_id: 'op-crit:hq_audit', operation_id: 'op-crit' }],
      },
    });
    const mail = smtp.mails.filter((m) => m.raw.includes('op-crit'));
    expect(mail).toHaveLength(1);
    expect(mail[0]!.to).toEqual(['so@corp.example', 'hq-audit@corp.example']);
    expect(subjectOf(mail[0]!.raw)).toBe(
      'TagGuard critical: lisi (d2) deleted tag VIP客户 with 230 members [op-crit]',
    );
    const sent = sandbox.admin(CORP).appMessages.filter((m) => m.content.includes('op-crit'));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ agentid: 1000007, touser: ['zhangsan'] });
    const wecom = done.find((d) => d['channelId'] === 'so-wecom')!;
    expect(wecom).toMatchObject({
      attempts: 1,
      level: 'critical',
      target: 'security_officer',
      notificationIds: ['op-crit:security_officer'],
    });
    expect(wecom['detail']).toMatch(/invaliduser=nobody/); // WeCom's partial failure, named
    // Each attempt is an audited fact in the tenant's trail.
    await eventually(async () => {
      const { rows } = await pool.query(
        `SELECT data FROM "${schema}".audit_records WHERE tenant_id = $1 AND event_type = $2`,
        [t, DELIVERY_ATTEMPTED_TYPE],
      );
      expect(rows.map((r) => r.data.channelId).sort()).toEqual(['hq', 'so-mail', 'so-wecom']);
      expect(rows.every((r) => r.data.attempt === 1 && r.data.status === 'delivered')).toBe(true);
      // The trail's own consumer group reads the same topic beside this one: the requests are recorded too.
      const requested = await pool.query(
        `SELECT count(*)::int AS n FROM "${schema}".audit_records WHERE tenant_id = $1 AND event_type = 'tag.notification_requested.v1'`,
        [t],
      );
      expect(requested.rows[0].n).toBe(2);
    });
  });

  it('retries with exponential backoff under the same webhook-id, and dead-letters with the reason after the last attempt', async () => {
    const t = tenant('r');
    await putWebhook(t, 'flaky', flaky.url, ['hq_audit']);
    flaky.failNext(2);
    await publisher.publish([critical(t, 'op-retry', 'hq_audit')]);
    const retrying = await eventually(
      async () => {
        const [d] = await deliveries(t);
        expect(d).toMatchObject({
          status: 'DELIVERY_STATUS_RETRYING',
          lastError: `HTTP 503 from ${flaky.url}`,
        });
        expect(d!['nextAttemptAt']).not.toBe('');
        return d!;
      },
      30_000,
      20,
    );
    expect(retrying['attempts']).toBeGreaterThanOrEqual(1);
    const delivered = await eventually(
      async () => {
        const [d] = await deliveries(t);
        expect(d).toMatchObject({ status: 'DELIVERY_STATUS_DELIVERED', attempts: 3 });
        return d!;
      },
      30_000,
      100,
    );
    const attempts = flaky.received.filter((r) => r.body.includes('op-retry'));
    expect(attempts.map((a) => a.status)).toEqual([503, 503, 204]);
    expect(new Set(attempts.map((a) => a.id))).toEqual(new Set([delivered['deliveryId']]));
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1); // the same message, re-signed per attempt

    flaky.respondWith(500);
    await publisher.publish([critical(t, 'op-dead', 'hq_audit')]);
    const dead = await eventually(
      async () => {
        const d = (await deliveries(t, { status: 'DELIVERY_STATUS_DEAD' }))[0];
        expect(d).toMatchObject({
          attempts: 4,
          lastError: `gave up after 4 attempts: HTTP 500 from ${flaky.url}`,
        });
        return d!;
      },
      30_000,
      100,
    );
    const tries = flaky.received.filter((r) => r.id === dead['deliveryId']);
    expect(tries).toHaveLength(4);
    // Backoff 200, 400, 800 ms between attempts (timestamps are seconds: at least the sum shows).
    expect(Number(tries[3]!.timestamp) - Number(tries[0]!.timestamp)).toBeGreaterThanOrEqual(1);
    flaky.respondWith(undefined);
  });

  it('batches warnings into one digest per channel and period; critical ones do not wait for it', async () => {
    const t = tenant('d');
    const receiver = await startWebhookReceiver(() => secrets.get(`${t}/digest`));
    try {
      await putWebhook(t, 'digest', receiver.url, ['hq_audit', 'security_officer']);
      // Just after a period starts, so all three land in the same one.
      await new Promise((r) => setTimeout(r, DIGEST_MS - (Date.now() % DIGEST_MS) + 50));
      await publisher.publish([
        warning(t, 'w1'),
        warning(t, 'w2'),
        critical(t, 'c1', 'hq_audit'),
        warning(t, 'w3'),
      ]);
      const digests = await eventually(
        async () => {
          const list = (await deliveries(t)).filter((d) => d['status'] === 'DELIVERY_STATUS_DELIVERED');
          expect(list).toHaveLength(3); // one digest per target, and the critical one
          return list;
        },
        30_000,
        100,
      );
      expect(digests.map((d) => d['level']).sort()).toEqual(['critical', 'warning', 'warning']);
      // The critical one went out first, alone, while the warnings waited for the period's end.
      const [first, ...rest] = receiver.received.map((r) => r.verified as Obj);
      expect(first).toMatchObject({ type: 'tagguard.notification.v1', data: { level: 'critical' } });
      const bodies = rest;
      expect(bodies).toHaveLength(2);
      for (const b of bodies) {
        expect(b['type']).toBe('tagguard.notification.digest.v1');
        expect((b['data']['notifications'] as Obj[]).map((n) => n['operation_id'])).toEqual([
          'w1',
          'w2',
          'w3',
        ]);
      }
      expect(bodies.map((b) => b['data']['target']).sort()).toEqual(['hq_audit', 'security_officer']);
    } finally {
      await receiver.close();
    }
  });

  it('dead-letters a WeCom message at once when no recipient is valid (81013: not worth retrying), and an e-mail the relay refuses (5xx)', async () => {
    const t = tenant('w');
    await call(
      'PutChannel',
      {
        channel: {
          channelId: 'ghosts',
          targets: ['security_officer'],
          wecom: {
            corpId: CORP,
            agentId: '1000007',
            secret: 'notify-secret',
            toUser: ['nobody'],
            toParty: [],
          },
        },
      },
      caller(t),
    );
    await call(
      'PutChannel',
      {
        channel: {
          channelId: 'refused',
          targets: ['security_officer'],
          email: { recipients: ['blocked@refused.example'] },
        },
      },
      caller(t),
    );
    await publisher.publish([critical(t, 'op-ghost', 'security_officer')]);
    await eventually(
      async () => {
        const list = await deliveries(t);
        expect(list.map((d) => [d['channelId'], d['status'], d['attempts'], d['lastError']]).sort()).toEqual([
          [
            'ghosts',
            'DELIVERY_STATUS_DEAD',
            1,
            'permanent failure: WeCom errcode 81013: user & party & tag all invalid',
          ],
          [
            'refused',
            'DELIVERY_STATUS_DEAD',
            1,
            expect.stringMatching(/^permanent failure: SMTP EENVELOPE 550/),
          ],
        ]);
      },
      30_000,
      100,
    );
  });

  it('records a notification no channel serves as dead with the reason; ListNotifications is tenant-scoped, paged, readers only', async () => {
    const t = tenant('none');
    await publisher.publish([critical(t, 'op-lost', 'security_officer')]);
    await eventually(
      async () => {
        expect(await deliveries(t)).toMatchObject([
          {
            status: 'DELIVERY_STATUS_DEAD',
            channelId: '',
            lastError: 'no channel of this tenant serves target security_officer',
          },
        ]);
      },
      30_000,
      100,
    );
    const first = await call('ListNotifications', { pageSize: 1 }, caller(tenant('a'), ['security_officer']));
    expect(first['deliveries']).toHaveLength(1);
    const second = await call(
      'ListNotifications',
      { pageSize: 1, pageToken: first['nextPageToken'] },
      caller(tenant('a'), ['tenant_admin']),
    );
    expect(second['deliveries'][0]['deliveryId']).not.toBe(first['deliveries'][0]['deliveryId']);
    expect((await deliveries(tenant('a'))).every((d) => !String(d['summary']).includes('op-lost'))).toBe(
      true,
    );
    const denied = await call('ListNotifications', {}, caller(tenant('a'), ['operator'])).catch(
      (e: grpc.ServiceError) => e,
    );
    expect(denied).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    const badSize = await call(
      'ListNotifications',
      { pageSize: 501 },
      caller(tenant('a'), ['auditor']),
    ).catch((e: grpc.ServiceError) => e);
    expect((badSize as grpc.ServiceError).metadata.get('tg-field')).toEqual(['page_size']);
  });

  it('resumes from the PostgreSQL outbox after a restart: a delivery retrying when the service stopped is delivered by the next one, same webhook-id', async () => {
    const t = tenant('r');
    const patient = { AUDIT_NOTIFY_MAX_ATTEMPTS: '50' };
    await stop();
    await start(patient);
    flaky.respondWith(503);
    await publisher.publish([critical(t, 'op-restart', 'hq_audit')]);
    const before = await eventually(
      async () => {
        const d = (await deliveries(t)).find((x) => x['notificationIds'][0] === 'op-restart:hq_audit');
        expect(d).toMatchObject({ status: 'DELIVERY_STATUS_RETRYING' });
        return d!;
      },
      30_000,
      50,
    );
    await stop();
    flaky.respondWith(undefined);
    const sentBefore = flaky.received.filter((r) => r.id === before['deliveryId']).length;
    await start(patient);
    await eventually(
      async () => {
        const d = (await deliveries(t)).find((x) => x['deliveryId'] === before['deliveryId']);
        expect(d).toMatchObject({ status: 'DELIVERY_STATUS_DELIVERED' });
      },
      30_000,
      100,
    );
    const all = flaky.received.filter((r) => r.id === before['deliveryId']);
    expect(all.length).toBeGreaterThan(sentBefore);
    expect(all[all.length - 1]!.status).toBe(204);
  });
});
