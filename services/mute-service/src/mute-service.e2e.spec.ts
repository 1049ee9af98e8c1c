import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import {
  DIRECTORY_EVENTS_TOPIC_V1,
  MUTE_DELIVERIES_TOPIC_V1,
  MUTE_MESSAGE_RECEIVED_V1,
  MUTE_MESSAGES_TOPIC_V1,
  TAG_EVENTS_TOPIC_V1,
} from '@tagguard/contracts';
import { KafkaTransport, type IntegrationMessage, type MessagePublisher } from '@tagguard/messaging';
import { eventually, testInfra } from '@tagguard/testing';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { MuteServiceHarness } from './testing/mute-service-harness';

type Delivery = { tenantId: string; messageId: string; alert: boolean };
type Write = { result: { revision: string; consistencyToken: string; changed: boolean } };
type Decision = {
  messageId: string;
  outcome: string;
  releaseAt: string;
  reasons: { source: string; id: string; tier: string; won: boolean }[];
  winner: { tier: string; id: string; why: string };
  replayed: boolean;
  recorded: boolean;
  snapshot: string;
};

// mute-service as an OS process on real PostgreSQL, Kafka and gRPC: rules through RuleService, the copies
// fed from real tag-service / sync-service event shapes on their topics, decisions with their reasons, the
// Kafka ingest delivering exactly once, refused input writing nothing, concurrent writers ABORTED.
describe('mute-service (PostgreSQL + Kafka + gRPC)', () => {
  let svc: MuteServiceHarness;
  let transport: KafkaTransport;
  let publisher: MessagePublisher;
  let deliveries: Consumer;
  const delivered: {
    key: string;
    value: { data?: Delivery } & Delivery;
  }[] = [];

  beforeAll(async () => {
    svc = await MuteServiceHarness.start();
    transport = new KafkaTransport({ clientId: 'mute-e2e', brokers: testInfra().kafkaBrokers });
    publisher = await transport.publisher();
    const kafka = new Kafka({
      clientId: 'mute-e2e-reader',
      brokers: testInfra().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    deliveries = kafka.consumer({ groupId: `mute-e2e-${randomUUID()}` });
    await deliveries.connect();
    await deliveries.subscribe({ topic: MUTE_DELIVERIES_TOPIC_V1, fromBeginning: true });
    await deliveries.run({
      eachMessage: async ({ message: m }) => {
        delivered.push({ key: m.key!.toString(), value: JSON.parse(m.value!.toString()) as never });
      },
    });
  }, 120_000);

  afterAll(async () => {
    await deliveries?.disconnect();
    await publisher?.close();
    await transport?.close();
    await svc?.stop();
  });

  const message = (
    tenantId: string,
    topic: string,
    type: string,
    key: string,
    data: object,
  ): IntegrationMessage => ({
    topic,
    key,
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data: { tenantId, ...data },
    metadata: {
      tenantId,
      actorId: 'test',
      correlationId: randomUUID(),
      occurredAt: new Date().toISOString(),
    },
  });

  const rule = (ruleId: string, over: object = {}) => ({
    rule: {
      ruleId,
      name: ruleId,
      effect: 'RULE_EFFECT_SILENT',
      scope: { senderCorpIds: ['corp-x'] },
      ...over,
    },
  });
  const fromPartner = (messageId: string, recipientId: string, corpId = 'corp-x') => ({
    messageId,
    recipientId,
    sender: { partnerStaff: { corpId, staffId: 's1' } },
    senderCorpId: corpId,
    sentAt: '2026-12-01T03:00:00Z',
  });

  it('decides from its rules and the copies fed by tag and directory events, with the reasons', async () => {
    const admin = MuteServiceHarness.admin();
    const t = admin.tenantId;
    await publisher.publish([
      message(
        t,
        DIRECTORY_EVENTS_TOPIC_V1,
        'directory.department_upserted.v1',
        `${t}/department/purchasing`,
        {
          revision: '0',
          departmentId: 'purchasing',
          name: '采购部',
          parentId: null,
          order: 0,
          leaderIds: [],
        },
      ),
      message(t, DIRECTORY_EVENTS_TOPIC_V1, 'directory.employee_upserted.v1', `${t}/employee/buyer`, {
        revision: '0',
        employeeId: 'buyer',
        name: 'buyer',
        departmentIds: ['purchasing'],
        mainDepartmentId: 'purchasing',
        position: '',
        status: 'active',
        leaderInDepartmentIds: [],
      }),
      message(t, TAG_EVENTS_TOPIC_V1, 'tag.created.v1', 'g-vip', {
        revision: '0',
        tagId: 'g-vip',
        name: 'A级客户',
        kind: 'partner',
        nodeType: 'group',
        parentId: null,
      }),
      message(t, TAG_EVENTS_TOPIC_V1, 'tag.created.v1', 'vip', {
        revision: '1',
        tagId: 'vip',
        name: 'A',
        kind: 'partner',
        nodeType: 'tag',
        parentId: 'g-vip',
      }),
      message(t, TAG_EVENTS_TOPIC_V1, 'tag.members_added.v1', 'vip', {
        revision: '0',
        tagId: 'vip',
        members: [{ kind: 'partner', id: 'corp-vip' }],
        source: 'api',
      }),
    ]);
    // Supplier X is muted (silent); only purchasing is alerted (a nested rule); corp-vip is muted too but is
    // whitelisted by the A-grade tag group.
    await svc.call<Write>('CreateRule', rule('mute-x'), admin);
    await svc.call<Write>(
      'CreateRule',
      rule('purchasing', {
        parentId: 'mute-x',
        effect: 'RULE_EFFECT_NOTIFY',
        scope: { recipientDepartmentIds: ['purchasing'] },
      }),
      admin,
    );
    await svc.call<Write>('CreateRule', rule('mute-vip', { scope: { senderCorpIds: ['corp-vip'] } }), admin);
    const channel = await svc.call<Write>(
      'CreateGreenChannel',
      { channel: { channelId: 'a-grade', name: 'A级客户', tagGroupId: 'g-vip' } },
      admin,
    );

    // The last write's token: every decision waits until the memory has folded the rules and the channel
    // (a memory without them answers NOTIFY too, so the polls below would not prove they were folded).
    const token = { 'tg-consistency-token': channel.result.consistencyToken };
    const decide = (m: object, dryRun = true) =>
      svc.decide<{ decision: Decision }>('Decide', { message: m, dryRun }, admin, token);
    const buyer = await eventually(
      async () => {
        const d = (await decide(fromPartner('m1', 'buyer'))).decision;
        expect(d.outcome).toBe('OUTCOME_NOTIFY');
        return d;
      },
      30_000,
      200,
    );
    expect(buyer.winner).toMatchObject({ tier: 'most_specific_rule', id: 'purchasing' });
    expect(buyer.reasons.map((r) => [r.id, r.won])).toEqual([
      ['purchasing', true],
      ['mute-x', false],
    ]);

    const other = (await decide(fromPartner('m2', 'someone-else'))).decision;
    expect(other).toMatchObject({ outcome: 'OUTCOME_SILENT', winner: { id: 'mute-x' } });

    const vip = await eventually(
      async () => {
        const d = (await decide(fromPartner('m3', 'someone-else', 'corp-vip'))).decision;
        expect(d.outcome).toBe('OUTCOME_NOTIFY');
        return d;
      },
      30_000,
      200,
    );
    expect(vip.winner).toMatchObject({ tier: 'green_channel', id: 'a-grade' });

    // Recorded once per message id: the second Decide is the recorded answer, not a new decision.
    const first = (await decide(fromPartner('m4', 'someone-else'), false)).decision;
    expect(first).toMatchObject({ outcome: 'OUTCOME_SILENT', recorded: true, replayed: false });
    const again = (await decide({ ...fromPartner('m4', 'someone-else') }, false)).decision;
    expect(again).toMatchObject({ outcome: 'OUTCOME_SILENT', recorded: true, replayed: true });
    // Another message under that id (another recipient) is refused: it would get someone else's decision.
    const collided = await svc.failure(
      'Decide',
      { message: fromPartner('m4', 'buyer'), dryRun: false },
      admin,
      'DecideService',
    );
    expect([collided.code, collided.field]).toEqual([status.INVALID_ARGUMENT, 'message.message_id']);
    const batchOther = await svc.failure(
      'BatchDecide',
      { messages: [fromPartner('m5', 'x'), fromPartner('m4', 'buyer')], dryRun: false },
      admin,
      'DecideService',
    );
    expect([batchOther.code, batchOther.field]).toEqual([status.INVALID_ARGUMENT, 'messages[1].message_id']);

    // The batch and the stream answer as Decide does, in order.
    const batch = await svc.decide<{ decisions: Decision[] }>(
      'BatchDecide',
      { messages: [fromPartner('b1', 'buyer'), fromPartner('b2', 'x')], dryRun: true },
      admin,
      token,
    );
    expect(batch.decisions.map((d) => d.outcome)).toEqual(['OUTCOME_NOTIFY', 'OUTCOME_SILENT']);
  }, 180_000);

  it('answers DecideStream in order, one answer per request', async () => {
    const admin = MuteServiceHarness.admin();
    const created = await svc.call<Write>('CreateRule', rule('mute-x'), admin);
    // The rule's token: decided once the memory has folded it (without it, a race with the fold under load).
    const streamed = await svc.stream<{ decision: Decision }>(
      [
        { message: fromPartner('s1', 'x'), dryRun: true },
        { message: fromPartner('s2', 'y', 'corp-other'), dryRun: true },
      ],
      admin,
      { 'tg-consistency-token': created.result.consistencyToken },
    );
    expect(streamed.map((s) => [s.decision.messageId, s.decision.outcome])).toEqual([
      ['s1', 'OUTCOME_SILENT'],
      ['s2', 'OUTCOME_NOTIFY'],
    ]);
  }, 20_000);

  it('ends DecideStream at the first bad request with INVALID_ARGUMENT naming the field', async () => {
    const admin = MuteServiceHarness.admin();
    const ended = await svc.streamFailure<{ decision: Decision }>(
      [
        { message: fromPartner('s1', 'x'), dryRun: true },
        { message: { messageId: 's2', recipientId: 'x' }, dryRun: true },
      ],
      admin,
    );
    expect(ended.answers.map((a) => a.decision.messageId)).toEqual(['s1']);
    expect(ended).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'message.sender' });
  }, 20_000);

  it('keeps the tag copy idempotent: a replayed members event does not undo a later removal', async () => {
    const admin = MuteServiceHarness.admin();
    const t = admin.tenantId;
    const members = (type: string, revision: string, id: string) =>
      message(t, TAG_EVENTS_TOPIC_V1, type, 'vip', {
        revision,
        tagId: 'vip',
        members: [{ kind: 'partner', id }],
        source: 'api',
      });
    const added = members('tag.members_added.v1', '0', 'corp-a');
    await publisher.publish([
      message(t, TAG_EVENTS_TOPIC_V1, 'tag.created.v1', 'g-vip', {
        revision: '0',
        tagId: 'g-vip',
        name: 'A',
        kind: 'partner',
        nodeType: 'group',
        parentId: null,
      }),
      message(t, TAG_EVENTS_TOPIC_V1, 'tag.created.v1', 'vip', {
        revision: '1',
        tagId: 'vip',
        name: 'A1',
        kind: 'partner',
        nodeType: 'tag',
        parentId: 'g-vip',
      }),
      added,
      members('tag.members_removed.v1', '1', 'corp-a'),
      { ...added, eventId: randomUUID() }, // redelivered late, after the removal
      members('tag.members_added.v1', '2', 'corp-b'), // the marker: same key, so applied after the replay
    ]);
    await svc.call<Write>(
      'CreateRule',
      rule('mute-all', { scope: { senderKinds: ['SENDER_KIND_PARTNER_STAFF'] } }),
      admin,
    );
    const channel = await svc.call<Write>(
      'CreateGreenChannel',
      { channel: { channelId: 'a', name: 'A', tagGroupId: 'g-vip' } },
      admin,
    );
    // With the channel's token the rule and the channel are folded: NOTIFY for corp-b can then only be the
    // tag copy's marker (without them NOTIFY is the answer anyway).
    const token = { 'tg-consistency-token': channel.result.consistencyToken };
    const outcome = async (corp: string) =>
      (
        await svc.decide<{ decision: Decision }>(
          'Decide',
          { message: fromPartner(`m-${corp}`, 'e1', corp), dryRun: true },
          admin,
          token,
        )
      ).decision.outcome;
    await eventually(async () => expect(await outcome('corp-b')).toBe('OUTCOME_NOTIFY'), 30_000, 200);
    expect(await outcome('corp-a')).toBe('OUTCOME_SILENT');
  }, 60_000);

  it('delivers a Kafka-ingested message exactly once on the deliveries topic, redelivery included', async () => {
    const admin = MuteServiceHarness.admin();
    const t = admin.tenantId;
    const created = await svc.call<Write>('CreateRule', rule('mute-x'), admin);
    // The ingest path takes no token: a dry run that waits for the rule's fold comes first, so k1 is decided
    // under mute-x.
    await svc.decide('Decide', { message: fromPartner('k0', 'e1'), dryRun: true }, admin, {
      'tg-consistency-token': created.result.consistencyToken,
    });
    const ingest = () =>
      message(t, MUTE_MESSAGES_TOPIC_V1, MUTE_MESSAGE_RECEIVED_V1, `${t}/e1`, {
        messageId: 'k1',
        recipientId: 'e1',
        sender: { kind: 'partner_staff', corpId: 'corp-x', staffId: 's1' },
        senderCorpId: 'corp-x',
        urgency: 'normal',
        sentAt: '2026-12-01T03:00:00Z',
      });
    await publisher.publish([ingest()]);
    await publisher.publish([ingest()]); // the same message again (a producer's retry): a new event id
    const mine = () => delivered.filter((d) => (d.value.data ?? d.value).tenantId === t);
    await eventually(() => expect(mine()).toHaveLength(1), 30_000, 200);
    // A gRPC Decide of a later message lands after the ingested ones: once it is delivered, the duplicate had its turn.
    await svc.decide('Decide', { message: fromPartner('k2', 'e1') }, admin);
    await eventually(
      () => expect(mine().map((d) => (d.value.data ?? d.value).messageId)).toEqual(['k1', 'k2']),
      30_000,
      200,
    );
    expect((mine()[0]!.value.data ?? mine()[0]!.value).alert).toBe(false);
    expect(mine()[0]!.key).toBe(`${t}/e1`);
  }, 90_000);

  it('dead-letters an ingest message that does not validate, naming the field, and delivers nothing for it', async () => {
    const admin = MuteServiceHarness.admin();
    const t = admin.tenantId;
    const kafka = new Kafka({
      clientId: 'mute-e2e-dlt',
      brokers: testInfra().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const dlt = kafka.consumer({ groupId: `mute-e2e-dlt-${randomUUID()}` });
    const parked: { reason: string; value: string }[] = [];
    await transport.ensureTopics(['mute-service.ingest.dlt']);
    await dlt.connect();
    await dlt.subscribe({ topic: 'mute-service.ingest.dlt', fromBeginning: true });
    await dlt.run({
      eachMessage: async ({ message: m }) => {
        parked.push({ reason: String(m.headers?.['tg-dlt-reason'] ?? ''), value: m.value!.toString() });
      },
    });
    try {
      const ingest = (messageId: string, over: object = {}) =>
        message(t, MUTE_MESSAGES_TOPIC_V1, MUTE_MESSAGE_RECEIVED_V1, `${t}/e1`, {
          messageId,
          recipientId: 'e1',
          sender: { kind: 'employee', employeeId: 'x' },
          senderCorpId: null,
          urgency: 'normal',
          sentAt: '2026-12-01T03:00:00Z',
          ...over,
        });
      await publisher.publish([ingest('bad-1', { urgency: 'very' }), ingest('good-1')]);
      const mine = () => delivered.filter((d) => (d.value.data ?? d.value).tenantId === t);
      await eventually(
        () => expect(mine().map((d) => (d.value.data ?? d.value).messageId)).toEqual(['good-1']),
        30_000,
        200,
      );
      const hit = await eventually(
        () => {
          const found = parked.find((p) => p.value.includes(t));
          expect(found).toBeDefined();
          return found!;
        },
        30_000,
        200,
      );
      expect(hit.reason).toContain('urgency');
      // Nothing was recorded for it: deciding bad-1 now is a first decision.
      const now = await svc.decide<{ decision: Decision }>(
        'Decide',
        { message: { ...fromPartner('bad-1', 'e1') } },
        admin,
      );
      expect(now.decision).toMatchObject({ recorded: true, replayed: false });
    } finally {
      await dlt.disconnect();
    }
  }, 90_000);

  it('asks for a role: none is PERMISSION_DENIED; mute.decide may decide but not write rules', async () => {
    const nobody = MuteServiceHarness.admin(undefined, []);
    const gateway = MuteServiceHarness.admin(undefined, ['mute.decide']);
    expect(await svc.failure('CreateRule', rule('r1'), nobody)).toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    expect(
      await svc.failure('Decide', { message: fromPartner('m1', 'e1') }, nobody, 'DecideService'),
    ).toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    expect(await svc.failure('CreateRule', rule('r1'), gateway)).toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    const d = await svc.decide<{ decision: Decision }>(
      'Decide',
      { message: fromPartner('m1', 'e1'), dryRun: true },
      gateway,
    );
    expect(d.decision.outcome).toBe('OUTCOME_NOTIFY');
  }, 30_000);

  it('refuses bad input with INVALID_ARGUMENT naming the field, and writes nothing', async () => {
    const admin = MuteServiceHarness.admin();
    const bad = await svc.failure(
      'CreateRule',
      rule('r1', { schedule: { parts: [{ weekly: { start: '19:00', end: '25:00' } }] } }),
      admin,
    );
    expect(bad).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'rule.schedule.parts[0].weekly.end' });
    const zone = await svc.failure(
      'CreateRule',
      rule('r1', { schedule: { parts: [{ holidays: {} }], timeZone: 'Mars/Olympus' } }),
      admin,
    );
    expect(zone).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'rule.schedule.time_zone' });
    expect((await svc.call<{ rules: unknown[] }>('ListRules', {}, admin)).rules).toEqual([]);

    const noSender = await svc.failure(
      'Decide',
      { message: { messageId: 'm1', recipientId: 'e1' } },
      admin,
      'DecideService',
    );
    expect(noSender).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'message.sender' });
    const batch = await svc.failure(
      'BatchDecide',
      { messages: [fromPartner('m1', 'e1'), { ...fromPartner('m2', ''), recipientId: '' }] },
      admin,
      'DecideService',
    );
    expect(batch).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'messages[1].recipient_id' });
    // m1 of the refused batch was not recorded: deciding it now is a first decision.
    const now = await svc.decide<{ decision: Decision }>(
      'Decide',
      { message: fromPartner('m1', 'e1') },
      admin,
    );
    expect(now.decision).toMatchObject({ recorded: true, replayed: false });
  }, 60_000);

  it("reads schedules in the recipient's own time zone once set", async () => {
    const admin = MuteServiceHarness.admin();
    const night = await svc.call<Write>(
      'CreateRule',
      rule('night', {
        scope: {},
        effect: 'RULE_EFFECT_HOLD',
        schedule: { parts: [{ weekly: { start: '19:00', end: '09:00' } }] },
      }),
      admin,
    );
    // 13:30 UTC: 21:30 in Shanghai (the default, held), 14:30 in Berlin.
    const m = { ...fromPartner('tz', 'e1'), sentAt: '2026-12-01T13:30:00Z' };
    // The rule write's token: the first decision waits until the memory has folded the rule.
    const token = { 'tg-consistency-token': night.result.consistencyToken };
    const at = async () =>
      (
        await svc.decide<{ decision: Decision & { timeZone: string } }>(
          'Decide',
          { message: m, dryRun: true },
          admin,
          token,
        )
      ).decision;
    expect(await at()).toMatchObject({ outcome: 'OUTCOME_HOLD', timeZone: 'Asia/Shanghai' });
    const set = await svc.call<Write>('SetTimeZone', { employeeId: 'e1', timeZone: 'Europe/Berlin' }, admin);
    expect(set.result.changed).toBe(true);
    await eventually(
      async () => expect(await at()).toMatchObject({ outcome: 'OUTCOME_NOTIFY', timeZone: 'Europe/Berlin' }),
      10_000,
      100,
    );
    const listed = await svc.call<{ timeZones: { employeeId: string; timeZone: string }[] }>(
      'ListRules',
      {},
      admin,
    );
    expect(listed.timeZones).toEqual([
      expect.objectContaining({ employeeId: 'e1', timeZone: 'Europe/Berlin' }),
    ]);
    const bad = await svc.failure('SetTimeZone', { employeeId: 'e1', timeZone: 'Berlin' }, admin);
    expect(bad).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'time_zone' });
  }, 30_000);

  it('decides at least as fresh as a rule write when its token is passed as tg-consistency-token (D113)', async () => {
    const admin = MuteServiceHarness.admin();
    const created = await svc.call<Write>('CreateRule', rule('fresh'), admin);
    const token = { 'tg-consistency-token': created.result.consistencyToken };
    const m = { message: fromPartner('fresh-1', 'e1'), dryRun: true };
    // No polling: the call itself waits until this instance's memory has folded the rule.
    const answer = await svc.decide<{ decision: Decision }>('Decide', m, admin, token);
    expect(answer.decision.outcome).toBe('OUTCOME_SILENT');
    expect(BigInt(answer.decision.snapshot) >= BigInt(created.result.consistencyToken)).toBe(true);
    const batch = await svc.decide<{ decisions: Decision[] }>(
      'BatchDecide',
      { messages: [m.message], dryRun: true },
      admin,
      token,
    );
    expect(batch.decisions[0]!.outcome).toBe('OUTCOME_SILENT');
    // A token the memory has not reached (a write it never folded): UNAVAILABLE after the bound, naming the key.
    const ahead = {
      'tg-consistency-token': (BigInt(created.result.consistencyToken) + 2n ** 80n).toString(),
    };
    expect(await svc.failure('Decide', m, admin, 'DecideService', ahead)).toMatchObject({
      code: status.UNAVAILABLE,
      errorCode: 'MUTE.UNAVAILABLE',
      field: 'tg-consistency-token',
    });
    const bad = { 'tg-consistency-token': 'soon' };
    expect(await svc.failure('Decide', m, admin, 'DecideService', bad)).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: 'tg-consistency-token',
    });
  }, 30_000);

  it('answers a stale expected_revision ABORTED naming the field: one of two concurrent writers wins', async () => {
    const admin = MuteServiceHarness.admin();
    const created = await svc.call<Write>('CreateRule', rule('r1'), admin);
    const update = (effect: string) =>
      svc
        .call<Write>(
          'UpdateRule',
          { ...rule('r1', { effect }), expectedRevision: created.result.revision },
          admin,
        )
        .then(
          () => 'ok',
          (e: { code: number; metadata: { get(k: string): unknown[] } }) =>
            `${e.code}:${String(e.metadata.get('tg-field')[0])}`,
        );
    const outcomes = await Promise.all([update('RULE_EFFECT_HOLD'), update('RULE_EFFECT_NOTIFY')]);
    expect(outcomes.sort()).toEqual([`${status.ABORTED}:expected_revision`, 'ok']);
    const dup = await svc.failure('CreateRule', rule('r1'), admin);
    expect(dup).toMatchObject({ code: status.ALREADY_EXISTS, field: 'rule.rule_id' });
    // An idempotency key: a retry gets the first answer; the key with another request is refused.
    const keyed = { ...rule('r3'), idempotencyKey: 'k-1' };
    const once = await svc.call<Write>('CreateRule', keyed, admin);
    await expect(svc.call<Write>('CreateRule', keyed, admin)).resolves.toEqual(once);
    const reused = await svc.failure('CreateRule', { ...rule('r4'), idempotencyKey: 'k-1' }, admin);
    expect(reused).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'idempotency_key' });
    const parent = await svc.failure('CreateRule', rule('r2', { parentId: 'nope' }), admin);
    expect(parent).toMatchObject({ code: status.NOT_FOUND, field: 'rule.parent_id' });
  }, 60_000);
});
