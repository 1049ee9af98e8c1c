import { decideCompleteTask, evolveTask, initialTaskState, renderGuide, tasksFor } from './automation';

describe('automations', () => {
  it('given the 意向客户 rule, when two customers and an employee are tagged, then one task per customer with a rendered guide is due in 24 h', () => {
    const tasks = tasksFor({
      rules: [
        {
          ruleId: 'r1',
          tagId: 't1',
          assigneeId: 'sales-1',
          dueInHours: 24,
          guideTemplate: '请{{assignee}}在{{due_at}}前联系{{customer.name}}（{{tag.name}}）',
        },
      ],
      tagId: 't1',
      tagName: '意向客户',
      added: [
        { kind: 'customer', id: 'c1' },
        { kind: 'customer', id: 'c2' },
        { kind: 'employee', id: 'e1' },
      ],
      attributes: { c1: { name: '王先生' } },
      at: '2026-11-24T10:00:00.000Z',
      taskIdOf: (ruleId, customerId) => `${ruleId}/${customerId}`,
    });
    expect(tasks).toEqual([
      expect.objectContaining({
        taskId: 'r1/c1',
        customerId: 'c1',
        dueAt: '2026-11-25T10:00:00.000Z',
        guide: '请sales-1在2026-11-25T10:00:00.000Z前联系王先生（意向客户）',
      }),
      expect.objectContaining({
        taskId: 'r1/c2',
        guide: '请sales-1在2026-11-25T10:00:00.000Z前联系{{customer.name}}（意向客户）',
      }),
    ]);
  });

  it('given a rule on another tag, then no task', () => {
    expect(
      tasksFor({
        rules: [{ ruleId: 'r1', tagId: 'tX', assigneeId: 'a', dueInHours: 1, guideTemplate: 'x' }],
        tagId: 't1',
        tagName: 'n',
        added: [{ kind: 'customer', id: 'c1' }],
        attributes: {},
        at: '2026-11-24T10:00:00.000Z',
        taskIdOf: () => 'id',
      }),
    ).toEqual([]);
  });

  it('renders known placeholders with spaces inside the braces and leaves unknown ones visible', () => {
    expect(renderGuide('{{ a }}-{{b}}', { a: '1' })).toBe('1-{{b}}');
  });
});

describe('follow-up tasks', () => {
  const open = evolveTask(initialTaskState, {
    type: 'FollowUpTaskCreated',
    data: {
      taskId: 't',
      ruleId: 'r',
      tagId: 'g',
      customerId: 'c',
      assigneeId: 'sales-1',
      dueAt: 'x',
      guide: 'g',
      createdAt: 'x',
    },
  });

  it('given an open task, when the assignee completes it, then it is completed once; a second completion writes nothing', () => {
    const done = decideCompleteTask(open, {
      taskId: 't',
      by: 'sales-1',
      byAdmin: false,
      now: 'n',
      note: 'called',
    });
    expect(done).toEqual([
      {
        type: 'FollowUpTaskCompleted',
        data: { taskId: 't', completedBy: 'sales-1', completedAt: 'n', note: 'called' },
      },
    ]);
    expect(
      decideCompleteTask(evolveTask(open, done[0]!), {
        taskId: 't',
        by: 'sales-1',
        byAdmin: false,
        now: 'n',
        note: '',
      }),
    ).toEqual([]);
  });

  it('given an open task, when someone else (not admin) completes it, then PERMISSION_DENIED', () => {
    expect(() =>
      decideCompleteTask(open, { taskId: 't', by: 'u9', byAdmin: false, now: 'n', note: '' }),
    ).toThrow(expect.objectContaining({ code: 'TAG.PERMISSION_DENIED' }));
  });
});
