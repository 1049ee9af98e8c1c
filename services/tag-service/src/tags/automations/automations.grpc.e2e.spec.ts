import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { eventually } from '@tagguard/testing';
import { customer, TagServiceHarness } from '../../testing/tag-service-harness';

type Task = {
  taskId: string;
  customerId: string;
  assigneeId: string;
  dueAt: string;
  guide: string;
  status: string;
};

describe('tagging automations over gRPC', () => {
  let svc: TagServiceHarness;
  beforeAll(async () => {
    svc = await TagServiceHarness.start();
  });
  afterAll(() => svc?.stop());

  it('tagging customers "意向客户" creates a follow-up task with a service guide for each; the assignee completes one', async () => {
    const admin = TagServiceHarness.admin();
    const tagId = randomUUID();
    await svc.call('tags', 'CreateTag', { tagId, name: '意向客户', kind: 'TAG_KIND_CUSTOMER' }, admin);
    await svc.call(
      'automations',
      'DefineAutomation',
      {
        automation: {
          ruleId: 'intent-follow-up',
          tagId,
          assigneeId: 'sales-7',
          dueInHours: 48,
          guideTemplate: '{{customer.name}}：48小时内电话回访，介绍{{tag.name}}权益',
        },
      },
      admin,
    );
    const added = await svc.call<{ result: { consistencyToken: string } }>(
      'members',
      'AddMembers',
      { tagId, members: [customer('c1', { name: '王女士' }), customer('c2', { name: '李先生' })] },
      admin,
    );
    let tasks: Task[] = [];
    await eventually(async () => {
      tasks = (
        await svc.call<{ tasks: Task[] }>(
          'automations',
          'ListFollowUpTasks',
          { assigneeId: 'sales-7' },
          admin,
        )
      ).tasks;
      expect(tasks).toHaveLength(2);
    }, 20_000);
    expect(tasks.map((t) => [t.customerId, t.guide]).sort()).toEqual([
      ['c1', '王女士：48小时内电话回访，介绍意向客户权益'],
      ['c2', '李先生：48小时内电话回访，介绍意向客户权益'],
    ]);
    expect(Date.parse(tasks[0]!.dueAt)).toBeGreaterThan(Date.now() + 47 * 3_600_000);
    void added;

    const stranger = { ...admin, actorId: 'sales-9', roles: ['sales'] };
    expect(
      await svc.failure('automations', 'CompleteFollowUpTask', { taskId: tasks[0]!.taskId }, stranger),
    ).toMatchObject({ code: status.PERMISSION_DENIED });
    const assignee = { ...admin, actorId: 'sales-7', roles: ['sales'] };
    const done = await svc.call<{ consistencyToken: string }>(
      'automations',
      'CompleteFollowUpTask',
      { taskId: tasks[0]!.taskId, note: '已回访' },
      assignee,
    );
    const open = await svc.call<{ tasks: Task[] }>(
      'automations',
      'ListFollowUpTasks',
      { consistencyToken: done.consistencyToken },
      admin,
    );
    expect(open.tasks.map((t) => t.taskId)).toEqual([tasks[1]!.taskId]);
    const all = await svc.call<{ tasks: Task[] }>(
      'automations',
      'ListFollowUpTasks',
      { includeCompleted: true },
      admin,
    );
    expect(all.tasks.find((t) => t.taskId === tasks[0]!.taskId)).toMatchObject({
      status: 'completed',
      completedBy: 'sales-7',
      note: '已回访',
    });
  });

  it('refuses an automation on a group or with a bad due time, naming the field', async () => {
    const admin = TagServiceHarness.admin();
    const group = randomUUID();
    await svc.call(
      'tags',
      'CreateTag',
      { tagId: group, name: 'G', kind: 'TAG_KIND_CUSTOMER', nodeType: 'TAG_NODE_TYPE_GROUP' },
      admin,
    );
    expect(
      await svc.failure(
        'automations',
        'DefineAutomation',
        { automation: { tagId: group, assigneeId: 'a', dueInHours: 1, guideTemplate: 'x' } },
        admin,
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'tag_id' });
    const tagId = randomUUID();
    await svc.call('tags', 'CreateTag', { tagId, name: 'T', kind: 'TAG_KIND_CUSTOMER' }, admin);
    expect(
      await svc.failure(
        'automations',
        'DefineAutomation',
        { automation: { tagId, assigneeId: 'a', dueInHours: 0, guideTemplate: 'x' } },
        admin,
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'due_in_hours' });
  });
});
