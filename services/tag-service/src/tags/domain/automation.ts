import { TagError } from './tag.errors';
import type { AutomationRule, MemberRef } from './tag-catalog.events';

export interface FollowUpTask {
  taskId: string;
  ruleId: string;
  tagId: string;
  customerId: string;
  assigneeId: string;
  dueAt: string;
  guide: string;
}

export type FollowUpTaskEvent =
  | { type: 'FollowUpTaskCreated'; data: FollowUpTask & { createdAt: string } }
  | {
      type: 'FollowUpTaskCompleted';
      data: { taskId: string; completedBy: string; completedAt: string; note: string };
    };

/**
 * The guide for one customer: `{{customer.id}}`, `{{customer.<attribute>}}` (attributes sent with the
 * tagging call), `{{tag.name}}`, `{{assignee}}`, `{{due_at}}`. An unknown placeholder stays visible as
 * written, so a template mistake shows in the guide instead of silently vanishing.
 */
export function renderGuide(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*([a-zA-Z0-9_.]+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
}

/** The tasks a tagging creates: one per (rule of the tag) × (customer added). */
export function tasksFor(input: {
  rules: AutomationRule[];
  tagId: string;
  tagName: string;
  added: MemberRef[];
  attributes: Record<string, Record<string, string>>;
  at: string;
  taskIdOf(ruleId: string, customerId: string): string;
}): FollowUpTask[] {
  const tasks: FollowUpTask[] = [];
  for (const rule of input.rules.filter((r) => r.tagId === input.tagId))
    for (const customer of input.added.filter((m) => m.kind === 'customer')) {
      const dueAt = new Date(Date.parse(input.at) + rule.dueInHours * 3_600_000).toISOString();
      const fields = Object.fromEntries(
        Object.entries(input.attributes[customer.id] ?? {}).map(([k, v]) => [`customer.${k}`, v]),
      );
      tasks.push({
        taskId: input.taskIdOf(rule.ruleId, customer.id),
        ruleId: rule.ruleId,
        tagId: input.tagId,
        customerId: customer.id,
        assigneeId: rule.assigneeId,
        dueAt,
        guide: renderGuide(rule.guideTemplate, {
          ...fields,
          'customer.id': customer.id,
          'tag.name': input.tagName,
          assignee: rule.assigneeId,
          due_at: dueAt,
        }),
      });
    }
  return tasks;
}

export type TaskState = { status: 'absent' } | (FollowUpTask & { status: 'open' | 'completed' });

export const initialTaskState: TaskState = { status: 'absent' };

export function evolveTask(state: TaskState, event: FollowUpTaskEvent): TaskState {
  if (event.type === 'FollowUpTaskCreated') {
    const { createdAt: _createdAt, ...task } = event.data;
    return { ...task, status: 'open' };
  }
  return state.status === 'absent' ? state : { ...state, status: 'completed' };
}

/** Completing: by the assignee or an admin, once. */
export function decideCompleteTask(
  state: TaskState,
  command: { taskId: string; by: string; byAdmin: boolean; now: string; note: string },
): FollowUpTaskEvent[] {
  if (state.status === 'absent')
    throw new TagError('TAG.NOT_FOUND', `task ${command.taskId} not found`, 'task_id');
  if (state.assigneeId !== command.by && !command.byAdmin)
    throw new TagError(
      'TAG.PERMISSION_DENIED',
      'only the assignee or a tenant admin may complete the task',
      'task_id',
    );
  if (state.status === 'completed') return [];
  if (command.note.length > 2000)
    throw new TagError('TAG.INVALID_ARGUMENT', 'must be at most 2000 characters', 'note');
  return [
    {
      type: 'FollowUpTaskCompleted',
      data: { taskId: command.taskId, completedBy: command.by, completedAt: command.now, note: command.note },
    },
  ];
}
