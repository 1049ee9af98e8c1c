import { WrongExpectedRevisionError, type EventStore, type RecordedEvent } from '@tagguard/event-store';
import { CheckpointedSubscriber, type CheckpointStore, type SubscriberRuntime } from '@tagguard/messaging';
import { systemContext } from '../commands/system-context';
import type { TagCommands } from '../commands/tag-commands';
import { tasksFor, type FollowUpTaskEvent } from '../domain/automation';
import type { TagMembersEvent } from '../domain/tag-members';
import { derivedId, entityIdOf, MEMBERS_CATEGORY, taskStream } from '../streams';

const NAME = 'tag-service.follow-up';

/**
 * Tagging a customer with a tag that has automations creates one follow-up task per rule and customer.
 * Task ids derive from (rule, tagging event, customer), so a redelivered event re-appends the same task:
 * a no-op. Reverted changes create no tasks.
 */
export class FollowUpProcess {
  private subscriber?: CheckpointedSubscriber;

  constructor(
    private readonly store: EventStore,
    private readonly commands: TagCommands,
    private readonly checkpoints: CheckpointStore,
    /** Health, parking and fencing from the host (TagsModule); none in unit wiring. */
    private readonly runtime: SubscriberRuntime = {},
  ) {}

  async start(): Promise<void> {
    this.subscriber = new CheckpointedSubscriber({
      name: NAME,
      store: this.store,
      filter: { categories: [MEMBERS_CATEGORY], eventTypes: ['MembersAdded'] },
      checkpoints: this.checkpoints,
      handle: async (events) => {
        for (const event of events) await this.react(event);
        await this.checkpoints.save(NAME, events[events.length - 1]!.position);
      },
      ...this.runtime,
    });
    await this.subscriber.start();
  }

  async stop(): Promise<void> {
    await this.subscriber?.stop();
  }

  lag(): ReturnType<CheckpointedSubscriber['lag']> {
    return this.subscriber?.lag() ?? Promise.resolve(undefined);
  }

  private async react(recorded: RecordedEvent): Promise<void> {
    const event = { type: recorded.type, data: recorded.data } as TagMembersEvent;
    if (event.type !== 'MembersAdded' || event.data.source === 'revert' || event.data.source === 'restore')
      return;
    const tenantId = recorded.metadata.tenantId;
    const tagId = entityIdOf(recorded);
    const { state } = await this.commands.catalog(tenantId);
    const rules = [...state.automations.values()].filter((r) => r.tagId === tagId);
    if (rules.length === 0) return;
    const tasks = tasksFor({
      rules,
      tagId,
      tagName: state.nodes.get(tagId)?.name ?? '',
      added: event.data.members,
      attributes: event.data.attributes ?? {},
      at: recorded.metadata.occurredAt,
      taskIdOf: (ruleId, customerId) => derivedId('task', tenantId, ruleId, recorded.id, customerId),
    });
    for (const task of tasks) {
      const created: FollowUpTaskEvent = {
        type: 'FollowUpTaskCreated',
        data: { ...task, createdAt: recorded.metadata.occurredAt },
      };
      const context = systemContext(tenantId, 'automations', {
        causationId: recorded.id,
        correlationId: recorded.metadata.correlationId,
      });
      try {
        await this.commands.create(
          context,
          taskStream(tenantId, task.taskId),
          [created],
          `task:${task.taskId}`,
        );
      } catch (error) {
        // Already created by an earlier delivery of the same event.
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
      }
    }
  }
}
