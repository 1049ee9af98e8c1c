import type { EventStore, RecordedEvent } from '@tagguard/event-store';
import { CheckpointedSubscriber, type CheckpointStore, type SubscriberRuntime } from '@tagguard/messaging';
import type { DataSource } from 'typeorm';
import { systemContext } from '../commands/system-context';
import type { TagCommands } from '../commands/tag-commands';
import { violationsOf } from '../domain/revert-rules';
import type { TagMembersEvent } from '../domain/tag-members';
import { quoteIdent } from '@tagguard/event-store';
import { entityIdOf, MEMBERS_CATEGORY } from '../streams';
import { serviceLogger } from '../../service-logger';

const NAME = 'tag-service.revert';

/**
 * Checks every accepted membership removal (from any source: API, sync, a race between callers) against
 * the tenant's preset rules; a violation is undone by a compensating MembersAdded and reported as
 * AbnormalChangeReverted. History is never rewritten. Removals approved by a second person and the
 * reverts themselves are not checked again.
 */
export class RevertProcess {
  private subscriber?: CheckpointedSubscriber;
  private readonly logger = serviceLogger('RevertProcess');

  constructor(
    private readonly store: EventStore,
    private readonly commands: TagCommands,
    private readonly checkpoints: CheckpointStore,
    private readonly db: DataSource,
    private readonly schema: string,
    /** Health, parking and fencing from the host (TagsModule); none in unit wiring. */
    private readonly runtime: SubscriberRuntime = {},
  ) {}

  async start(): Promise<void> {
    // Removals per actor and tag, for the rate rule (an hour is looked back from each removal).
    await this.db.query(`CREATE TABLE IF NOT EXISTS ${quoteIdent(this.schema)}.member_removals (
      event_id text PRIMARY KEY, tenant_id text NOT NULL, tag_id text NOT NULL, actor_id text NOT NULL,
      removed_at timestamptz NOT NULL, removed integer NOT NULL)`);
    this.subscriber = new CheckpointedSubscriber({
      name: NAME,
      store: this.store,
      filter: { categories: [MEMBERS_CATEGORY], eventTypes: ['MembersRemoved'] },
      checkpoints: this.checkpoints,
      handle: async (events) => {
        for (const event of events) await this.check(event);
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

  private async check(recorded: RecordedEvent): Promise<void> {
    const event = { type: recorded.type, data: recorded.data } as TagMembersEvent;
    if (
      event.type !== 'MembersRemoved' ||
      ['revert', 'approval', 'restore', 'directory'].includes(event.data.source)
    )
      return;
    const tenantId = recorded.metadata.tenantId;
    const tagId = entityIdOf(recorded);
    const actorId = recorded.metadata.actorId;
    const at = new Date(recorded.metadata.occurredAt);
    const table = `${quoteIdent(this.schema)}.member_removals`;
    const [{ before }] = (await this.db.query(
      `SELECT coalesce(sum(removed), 0)::int AS before FROM ${table}
        WHERE tenant_id = $1 AND tag_id = $2 AND actor_id = $3 AND event_id <> $4
          AND removed_at > $5::timestamptz - interval '1 hour' AND removed_at <= $5`,
      [tenantId, tagId, actorId, recorded.id, at],
    )) as [{ before: number }];
    const { state } = await this.commands.catalog(tenantId);
    const violations = violationsOf({
      rules: [...state.revertRules.values()],
      tagId,
      actorId,
      actorRoles: event.data.actorRoles,
      removed: event.data.members,
      removedBefore: before,
    });
    for (const v of violations) {
      const seed = `revert:${recorded.id}:${v.ruleId}`;
      const context = systemContext(tenantId, 'compliance', {
        causationId: recorded.id,
        correlationId: recorded.metadata.correlationId,
      });
      await this.commands.onMembers(context, {
        change: 'add_members',
        tagId,
        members: v.members,
        source: 'revert',
        idSeed: seed,
      });
      await this.commands.onCatalog(
        { ...context, idempotencyKey: seed },
        { revert: seed },
        (base) => ({
          type: 'RecordRevert',
          data: {
            ...base,
            ruleId: v.ruleId,
            tagId,
            offenderId: actorId,
            members: v.members,
            reason: v.reason,
            revertedEventId: recorded.id,
          },
        }),
        () => tagId,
      );
      this.logger.warn(`reverted ${v.members.length} removal(s) on tag ${tagId} by ${actorId}: ${v.reason}`);
    }
    await this.db.query(
      `INSERT INTO ${table} (event_id, tenant_id, tag_id, actor_id, removed_at, removed) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [recorded.id, tenantId, tagId, actorId, at, event.data.members.length],
    );
  }
}
