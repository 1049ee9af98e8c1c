import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import {
  MUTE_COMMERCE_EVENTS_TOPIC_V1,
  MUTE_EVENTS_TOPIC_V1,
  TAG_EVENTS_TOPIC_V1,
} from '@tagguard/contracts';
import { KafkaTransport, type IntegrationMessage, type MessagePublisher } from '@tagguard/messaging';
import { eventually, testInfra } from '@tagguard/testing';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { FlowHarness } from './testing/flow-harness';

const H = 3_600_000;

// mute-service as an OS process on real PostgreSQL, Kafka and gRPC: a temporary unmute found by tag, its
// messages let through, its operation report over gRPC and on the public events topic; the store-visit
// automation fed by gRPC and by the commerce topic, its 48 h wait and its mute durable timers.
describe('mute-service flow features (PostgreSQL + Kafka + gRPC)', () => {
  let h: FlowHarness;
  let transport: KafkaTransport;
  let publisher: MessagePublisher;
  let events: Consumer;
  const published: { type: string; data: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    h = await FlowHarness.start();
    transport = new KafkaTransport({ clientId: 'mute-flow-e2e', brokers: testInfra().kafkaBrokers });
    await transport.ensureTopics([TAG_EVENTS_TOPIC_V1, MUTE_COMMERCE_EVENTS_TOPIC_V1]);
    publisher = await transport.publisher();
    const kafka = new Kafka({
      clientId: 'mute-flow-e2e-reader',
      brokers: testInfra().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    events = kafka.consumer({ groupId: `mute-flow-e2e-${randomUUID()}` });
    await events.connect();
    await events.subscribe({ topic: MUTE_EVENTS_TOPIC_V1, fromBeginning: true });
    await events.run({
      eachMessage: async ({ message: m }) => {
        const type = String(m.headers?.['tg-event-type'] ?? '');
        const data = JSON.parse(m.value!.toString()) as Record<string, unknown>;
        if (data.tenantId === h.tenant.tenantId) published.push({ type, data });
      },
    });
  }, 120_000);

  afterAll(async () => {
    await events?.disconnect();
    await publisher?.close();
    await transport?.close();
    await h?.stop();
  });

  const kafkaMessage = (topic: string, type: string, key: string, data: object): IntegrationMessage => ({
    topic,
    key,
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data: { tenantId: h.tenant.tenantId, ...data },
    metadata: {
      tenantId: h.tenant.tenantId,
      actorId: 'test',
      correlationId: randomUUID(),
      occurredAt: new Date().toISOString(),
    },
  });
  const fromSupplier = (messageId: string, recipientId = 'alice') => ({
    messageId,
    recipientId,
    sender: { partnerStaff: { corpId: 'supplier-x', staffId: 's1' } },
    senderCorpId: 'supplier-x',
  });
  const fromCustomer = (messageId: string, customerId: string) => ({
    messageId,
    recipientId: 'alice',
    sender: { externalCustomerId: customerId },
  });
  const decide = async (message: object) => (await h.call('DecideService', 'Decide', { message })).decision;

  it('unmutes a tag for N hours (one click), lets its messages through, and reports them when it ends', async () => {
    await publisher.publish([
      kafkaMessage(TAG_EVENTS_TOPIC_V1, 'tag.created.v1', 'suppliers', {
        revision: '0',
        tagId: 'suppliers',
        name: '供应商',
        kind: 'partner',
        nodeType: 'tag',
        parentId: null,
      }),
      kafkaMessage(TAG_EVENTS_TOPIC_V1, 'tag.members_added.v1', 'suppliers', {
        revision: '0',
        tagId: 'suppliers',
        members: [{ kind: 'partner', id: 'supplier-x' }],
        source: 'api',
      }),
    ]);
    await h.call('RuleService', 'CreateRule', {
      rule: {
        ruleId: 'mute-suppliers',
        name: '供应商静音',
        effect: 'RULE_EFFECT_SILENT',
        scope: { senderTagIds: ['suppliers'] },
      },
    });
    // A dry run: a recorded decision stands, so a probe decided before the tag's copy arrived would stay NOTIFY.
    await eventually(
      async () =>
        expect(
          (
            await h.call('DecideService', 'Decide', {
              message: { ...fromSupplier('warm'), recipientId: 'w' },
              dryRun: true,
            })
          ).decision.outcome,
        ).toBe('OUTCOME_SILENT'),
      30_000,
      200,
    );

    expect(
      await h.failure('UnmuteService', 'StartTemporaryUnmute', { tagId: 'suppliers', hours: 0 }),
    ).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: 'hours',
    });
    expect(
      await h.failure('UnmuteService', 'StartTemporaryUnmute', { tagId: 'no-such-tag', hours: 4 }),
    ).toMatchObject({
      code: status.NOT_FOUND,
      field: 'tag_id',
    });
    const { unmute } = await h.call('UnmuteService', 'StartTemporaryUnmute', {
      tagId: 'suppliers',
      tagName: '供应商',
      hours: 4,
    });
    expect(unmute).toMatchObject({
      tagId: 'suppliers',
      status: 'ACTIVE',
      unmutedBy: 'admin-1',
      messagesLetThrough: '0',
    });
    expect(Date.parse(unmute.endsAt) - Date.parse(unmute.startsAt)).toBe(4 * H);

    const d1 = await decide(fromSupplier('u-1'));
    const d2 = await decide(fromSupplier('u-2', 'bob'));
    expect([d1.outcome, d1.winner.tier, d1.unmuteId]).toEqual([
      'OUTCOME_NOTIFY',
      'temporary_unmute',
      unmute.unmuteId,
    ]);
    expect(d2.outcome).toBe('OUTCOME_NOTIFY');
    expect(await h.failure('UnmuteService', 'GetUnmuteReport', { unmuteId: unmute.unmuteId })).toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
    await eventually(
      async () => {
        const { unmutes } = await h.call('UnmuteService', 'ListTemporaryUnmutes', { tagId: 'suppliers' });
        expect(unmutes[0]).toMatchObject({ unmuteId: unmute.unmuteId, messagesLetThrough: '2' });
      },
      20_000,
      100,
    );

    const { report } = await h.call('UnmuteService', 'StopTemporaryUnmute', { unmuteId: unmute.unmuteId });
    expect(report).toMatchObject({
      unmuteId: unmute.unmuteId,
      tagId: 'suppliers',
      tagName: '供应商',
      unmutedBy: 'admin-1',
      endedBy: 'admin-1',
      reason: 'stopped',
      messageCount: '2',
      recipientCount: '2',
    });
    expect(report.messages.map((m: { messageId: string }) => m.messageId)).toEqual(['u-1', 'u-2']);
    expect((await h.call('UnmuteService', 'GetUnmuteReport', { unmuteId: unmute.unmuteId })).report).toEqual(
      report,
    );
    expect((await decide(fromSupplier('u-3'))).outcome).toBe('OUTCOME_SILENT');
    // Published for the audit trail.
    await eventually(
      () => {
        const ended = published.find((e) => e.type === 'mute.temporary_unmute_ended.v1');
        expect(ended?.data).toMatchObject({
          unmuteId: unmute.unmuteId,
          messagesLetThrough: 2,
          report: { messageCount: 2 },
        });
      },
      30_000,
      200,
    );
  }, 180_000);

  it('mutes a customer who scanned in a store and did not buy within 48 h, and a purchase on the commerce topic lifts it', async () => {
    expect(
      await h.failure('AutomationService', 'ConfigureStoreVisitAutomation', {
        enabled: true,
        waitHours: 48,
        muteHours: 0,
        effect: 'silent',
      }),
    ).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: 'mute_hours',
    });
    await h.call('AutomationService', 'ConfigureStoreVisitAutomation', {
      enabled: true,
      waitHours: 48,
      muteHours: 168,
      effect: 'silent',
    });
    // A scan 49 hours ago: its 48 h wait is already over, so the durable timer fires at the next tick.
    const visitedAt = new Date(Date.now() - 49 * H).toISOString();
    expect(
      (
        await h.call('AutomationService', 'RecordStoreVisit', {
          customerId: 'wm-1',
          visitId: 'v1',
          storeId: '徐汇店',
          visitedAt,
        })
      ).effects,
    ).toEqual(['visit_recorded']);
    await h.call('AutomationService', 'RecordStoreVisit', {
      customerId: 'wm-2',
      visitId: 'v2',
      storeId: '徐汇店',
      visitedAt,
    });
    await h.call('AutomationService', 'RecordPurchase', {
      customerId: 'wm-2',
      purchaseId: 'p0',
      purchasedAt: new Date(Date.now() - 40 * H).toISOString(),
    });
    await eventually(
      async () => {
        // In force: wm-2's purchase answers its visit even when the timer fired before the purchase was
        // recorded (then wm-2 shows a mute lifted for the purchase).
        const { mutes } = await h.call('AutomationService', 'ListAutomationMutes', {});
        const inForce = mutes.filter((m: { liftedAt: string }) => !m.liftedAt);
        expect(inForce.map((m: { customerId: string }) => m.customerId)).toEqual(['wm-1']);
      },
      20_000,
      100,
    );
    await eventually(
      async () => {
        const d = await decide(fromCustomer(`c-${randomUUID()}`, 'wm-1'));
        expect([d.outcome, d.winner.id]).toEqual(['OUTCOME_SILENT', 'mute-automation:store-visit']);
      },
      10_000,
      100,
    );
    await eventually(
      // A fresh message id each try: a recorded decision stands.
      async () =>
        expect((await decide(fromCustomer(`c-${randomUUID()}`, 'wm-2'))).outcome).toBe('OUTCOME_NOTIFY'),
      10_000,
      100,
    );

    await publisher.publish([
      kafkaMessage(
        MUTE_COMMERCE_EVENTS_TOPIC_V1,
        'commerce.purchase_completed.v1',
        `${h.tenant.tenantId}/wm-1`,
        {
          customerId: 'wm-1',
          purchaseId: 'p1',
          storeId: '徐汇店',
          purchasedAt: new Date().toISOString(),
        },
      ),
    ]);
    await eventually(
      async () => {
        const { mutes } = await h.call('AutomationService', 'ListAutomationMutes', { customerId: 'wm-1' });
        expect(mutes[0]).toMatchObject({ liftedReason: 'purchase' });
      },
      60_000,
      200,
    );
    await eventually(
      async () =>
        expect((await decide(fromCustomer(`c-${randomUUID()}`, 'wm-1'))).outcome).toBe('OUTCOME_NOTIFY'),
      10_000,
      100,
    );
    await eventually(
      () => {
        expect(published.map((e) => e.type)).toEqual(
          expect.arrayContaining(['mute.customer_muted_by_automation.v1', 'mute.automation_mute_lifted.v1']),
        );
      },
      30_000,
      200,
    );
  }, 180_000);
});
