import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import { eventually, testInfra } from '@tagguard/testing';
import { Kafka, logLevel } from 'kafkajs';
import { customers, TagServiceHarness, type Caller } from '../../testing/tag-service-harness';

type Result = { result: { tagId: string; revision: string; consistencyToken: string } };

// The regional manager deletes "VIP客户": the recycle bin keeps it, the graduated policy reacts.
describe('recycle bin and graduated sensitive-operation alerts over gRPC', () => {
  let svc: TagServiceHarness;
  let manager: Caller;
  let security: Caller;
  beforeAll(async () => {
    svc = await TagServiceHarness.start();
  });
  afterAll(() => svc?.stop());
  beforeEach(() => {
    manager = TagServiceHarness.admin(undefined, 'manager-east', { departmentId: 'dept-east' });
    security = { ...manager, actorId: 'security-officer', departmentId: 'dept-hq' };
  });
  const tagWith = async (name: string, members: number, parentId = '') => {
    const tagId = randomUUID();
    await svc.call('tags', 'CreateTag', { tagId, name, kind: 'TAG_KIND_CUSTOMER', parentId }, manager);
    for (let i = 0; i < members; i += 500)
      await svc.call(
        'members',
        'AddMembers',
        { tagId, members: customers(members, `${name}-`).slice(i, i + 500) },
        manager,
      );
    return tagId;
  };

  it('deletes a group with its tags and members into the bin, lists who deleted it and until when, and restores all of it', async () => {
    const group = randomUUID();
    await svc.call(
      'tags',
      'CreateTag',
      { tagId: group, name: '大客户', kind: 'TAG_KIND_CUSTOMER', nodeType: 'TAG_NODE_TYPE_GROUP' },
      manager,
    );
    const vip = await tagWith('VIP客户', 20, group);
    await tagWith('意向客户', 10, group);
    const deleted = await svc.call<Result>(
      'tags',
      'DeleteTag',
      { tagId: group, expectedRevision: '0' },
      manager,
    );
    const bin = await svc.call<{
      entries: {
        tag: { tagId: string };
        nodeCount: number;
        deletedBy: string;
        deletedAt: string;
        purgeDueAt: string;
      }[];
    }>('bin', 'ListRecycleBin', { consistencyToken: deleted.result.consistencyToken }, manager);
    expect(bin.entries).toHaveLength(1);
    expect(bin.entries[0]).toMatchObject({ tag: { tagId: group }, nodeCount: 3, deletedBy: 'manager-east' });
    expect(Date.parse(bin.entries[0]!.purgeDueAt) - Date.parse(bin.entries[0]!.deletedAt)).toBe(
      72 * 3_600_000,
    );
    expect(
      await svc.failure('members', 'AddMembers', { tagId: vip, members: customers(1) }, manager),
    ).toMatchObject({
      code: status.FAILED_PRECONDITION,
      errorCode: 'TAG.ALREADY_DELETED',
    });
    expect(await svc.failure('bin', 'RestoreTag', { tagId: vip }, manager)).toMatchObject({
      code: status.FAILED_PRECONDITION,
      field: 'tag_id',
    });

    const restored = await svc.call<Result>('bin', 'RestoreTag', { tagId: group }, manager);
    const { tag } = await svc.call<{ tag: { status: string; memberCount: number } }>(
      'tags',
      'GetTag',
      { tagId: vip, consistencyToken: restored.result.consistencyToken },
      manager,
    );
    expect(tag).toMatchObject({ status: 'TAG_STATUS_ACTIVE', memberCount: 20 });
    const members = await svc.call<{ total: number }>('members', 'ListMembers', { tagId: vip }, manager);
    expect(members.total).toBe(20);
  });

  it('deleting a 200-member tag is critical: recoverable, the manager frozen, HQ audit and the security officer notified; another admin unfreezes', async () => {
    const kafka = new Kafka({
      clientId: 'alerts-test',
      brokers: testInfra().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({ groupId: `alerts-test-${randomUUID()}` });
    const notifications: { channel: string; level: string; summary: string }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: TAG_EVENTS_TOPIC_V1, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.headers?.['tg-event-type']?.toString() !== 'tag.notification_requested.v1') return;
        if (message.headers['tg-tenant-id']?.toString() !== manager.tenantId) return;
        notifications.push(JSON.parse(message.value!.toString()) as (typeof notifications)[number]);
      },
    });
    try {
      const vip = await tagWith('VIP客户', 200);
      const deleted = await svc.call<Result>(
        'tags',
        'DeleteTag',
        { tagId: vip, expectedRevision: '0' },
        manager,
      );
      expect(deleted.result.revision).toBe('1');

      const ops = await svc.call<{ operations: Record<string, unknown>[] }>(
        'governance',
        'ListSensitiveOperations',
        { consistencyToken: deleted.result.consistencyToken },
        security,
      );
      expect(ops.operations).toEqual([
        expect.objectContaining({
          level: 'critical',
          operation: 'delete',
          actorId: 'manager-east',
          actorDepartment: 'dept-east',
          totalMembers: 200,
          affected: [{ tagId: vip, name: 'VIP客户', memberCount: 200 }],
          beforeState: 'tag VIP客户 with 1 tag(s), 200 member(s): VIP客户 (200)',
        }),
      ]);
      const frozen = await svc.call<{ operators: { actorId: string }[] }>(
        'governance',
        'ListFrozenOperators',
        {},
        security,
      );
      expect(frozen.operators.map((o) => o.actorId)).toEqual(['manager-east']);
      expect(
        await svc.failure(
          'tags',
          'CreateTag',
          { tagId: randomUUID(), name: 'x', kind: 'TAG_KIND_CUSTOMER' },
          manager,
        ),
      ).toMatchObject({ code: status.PERMISSION_DENIED, errorCode: 'TAG.OPERATOR_FROZEN' });
      expect(
        await svc.failure('governance', 'UnfreezeOperator', { actorId: 'manager-east' }, manager),
      ).toMatchObject({
        code: status.PERMISSION_DENIED,
      });
      await eventually(
        () =>
          expect(notifications.map((n) => [n.channel, n.level]).sort()).toEqual([
            ['hq_audit', 'critical'],
            ['security_officer', 'critical'],
          ]),
        30_000,
      );
      expect(notifications[0]!.summary).toContain('manager-east (dept-east) deleted tag VIP客户');

      await svc.call('governance', 'UnfreezeOperator', { actorId: 'manager-east' }, security);
      await svc.call('bin', 'RestoreTag', { tagId: vip }, manager);
    } finally {
      await consumer.disconnect();
    }
  });

  it('removing 50 members at once is a warning: reported, nobody frozen; the tenant policy changes the thresholds', async () => {
    const tagId = await tagWith('意向客户', 60);
    const removed = await svc.call<{ result: { consistencyToken: string } }>(
      'members',
      'RemoveMembers',
      { tagId, members: customers(50, '意向客户-') },
      manager,
    );
    const ops = await svc.call<{ operations: { level: string; operation: string; totalMembers: number }[] }>(
      'governance',
      'ListSensitiveOperations',
      { consistencyToken: removed.result.consistencyToken },
      manager,
    );
    expect(ops.operations).toEqual([
      expect.objectContaining({ level: 'warning', operation: 'bulk_remove', totalMembers: 50 }),
    ]);
    expect(
      (await svc.call<{ operators: unknown[] }>('governance', 'ListFrozenOperators', {}, manager)).operators,
    ).toEqual([]);

    await svc.call(
      'governance',
      'ConfigurePolicy',
      { policy: { warningThreshold: 2, criticalThreshold: 5, retentionHours: 24, approvalTtlHours: 1 } },
      manager,
    );
    expect((await svc.call<{ policy: object }>('governance', 'GetPolicy', {}, manager)).policy).toEqual({
      warningThreshold: 2,
      criticalThreshold: 5,
      retentionHours: 24,
      approvalTtlHours: 1,
    });
    await svc.call(
      'members',
      'RemoveMembers',
      { tagId, members: customers(60, '意向客户-').slice(50, 55) },
      manager,
    );
    const frozen = await svc.call<{ operators: { actorId: string }[] }>(
      'governance',
      'ListFrozenOperators',
      {},
      manager,
    );
    expect(frozen.operators.map((o) => o.actorId)).toEqual(['manager-east']);
    expect(
      await svc.failure(
        'governance',
        'ConfigurePolicy',
        { policy: { warningThreshold: 9, criticalThreshold: 5, retentionHours: 24, approvalTtlHours: 1 } },
        security,
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'critical_threshold' });
  });
});
