import type { PermissionIntegrationEventV1 } from '@tagguard/contracts';
import type { EventStore, RecordedEvent } from '@tagguard/event-store';
import { CheckpointedSubscriber, type CheckpointStore, type SubscriberRuntime } from '@tagguard/messaging';
import type { ComponentLag } from '@tagguard/telemetry';
import type { DataSource, EntityManager } from 'typeorm';
import { integrationEventOf } from '../../integration/policy-events.translation';
import { PositionWaiter } from '../../domain/position-waiter';
import { POLICY_CATEGORIES } from '../../streams';
import { PolicyObjectView } from './policy-view.entities';

export const POLICY_VIEW = 'permission-service.policy-view';

/** The read-model row of a fat event: the same mapping the in-memory fold and tag-service's copy use. */
export function rowOf(event: PermissionIntegrationEventV1): {
  kind: string;
  objectId: string;
  removed: boolean;
} {
  switch (event.type) {
    case 'permission.role_changed.v1':
      return { kind: 'role', objectId: event.data.roleId, removed: event.data.removed };
    case 'permission.role_assignment_changed.v1':
      return { kind: 'assignment', objectId: event.data.assignmentId, removed: event.data.removed };
    case 'permission.group_changed.v1':
      return { kind: 'group', objectId: event.data.groupId, removed: event.data.removed };
    case 'permission.rule_changed.v1':
      return { kind: 'rule', objectId: event.data.ruleId, removed: event.data.removed };
    case 'permission.rules_reordered.v1':
      return { kind: 'rule-order', objectId: 'tree', removed: false };
    case 'permission.sensitive_word_changed.v1':
      return { kind: 'word', objectId: event.data.wordId, removed: event.data.removed };
    case 'permission.freeze_changed.v1':
      return { kind: 'freeze', objectId: event.data.actorId, removed: !event.data.frozen };
  }
}

/**
 * Keeps `policy_objects` in step with the policy streams, under the lease: each batch and its checkpoint
 * in one transaction; an event at or below the row's revision changes nothing (replays are no-ops).
 */
export class PolicyViewProjection {
  private subscriber?: CheckpointedSubscriber;
  /** What a List waits on for its consistency token (the edge's read-your-writes). */
  readonly folded = new PositionWaiter('the policy read model');

  constructor(
    private readonly store: EventStore,
    private readonly db: DataSource,
    private readonly checkpoints: CheckpointStore,
    private readonly runtime: SubscriberRuntime = {},
    private readonly name = POLICY_VIEW,
  ) {}

  async start(): Promise<void> {
    const at = await this.checkpoints.load(this.name);
    if (at) this.folded.advance(at);
    this.subscriber = new CheckpointedSubscriber({
      name: this.name,
      store: this.store,
      filter: { categories: POLICY_CATEGORIES },
      checkpoints: this.checkpoints,
      batchSize: 1_000,
      handle: (events) => this.apply(events),
      onAdvanced: (position) => this.folded.advance(position),
      ...this.runtime,
    });
    await this.subscriber.start();
  }

  async stop(): Promise<void> {
    await this.subscriber?.stop();
  }

  lag(): Promise<ComponentLag | undefined> {
    return this.subscriber?.lag() ?? Promise.resolve(undefined);
  }

  async apply(events: RecordedEvent[]): Promise<void> {
    const table = this.table();
    await this.db.transaction(async (tx) => {
      for (const recorded of events) {
        const event = integrationEventOf(recorded);
        if (!event) continue;
        const row = rowOf(event);
        const { kind, objectId } = row;
        let removed = row.removed;
        const { tenantId, revision, position, ...data } = event.data;
        // D80, as the engine's fold: an assignment written while its role stands removed (an AssignRole
        // racing RemoveRole) is never listed, and a removal takes the role's earlier assignments with it,
        // so a role defined again starts with no holders. Batches come in store order.
        if (event.type === 'permission.role_assignment_changed.v1' && !removed)
          removed = !(await this.holdsRole(
            tx,
            table,
            tenantId,
            event.data.roleId,
            event.data.roleDefinedSince,
          ));
        // A removal keeps a tombstone row (data null-ed out of lists by `removed`), so an older event
        // replayed later cannot bring the object back.
        await tx.query(
          `INSERT INTO ${table} AS t (tenant_id, kind, object_id, revision, position, data)
           VALUES ($1, $2, $3, $4::bigint, $5::numeric, $6::jsonb)
           ON CONFLICT (tenant_id, kind, object_id) DO UPDATE SET
             revision = EXCLUDED.revision, position = EXCLUDED.position, data = EXCLUDED.data
           WHERE t.revision < EXCLUDED.revision`,
          [tenantId, kind, objectId, revision, position, JSON.stringify({ ...data, removed })],
        );
        // Only assignments written before this removal: a replayed old removal leaves a later
        // definition's holders alone.
        if (event.type === 'permission.role_changed.v1' && removed)
          await tx.query(
            `UPDATE ${table} SET data = jsonb_set(data, '{removed}', 'true'::jsonb)
              WHERE tenant_id = $1 AND kind = 'assignment' AND data->>'roleId' = $2
                AND NOT (data->>'removed')::boolean AND position < $3::numeric`,
            [tenantId, objectId, position],
          );
      }
      await this.checkpoints.save(this.name, events[events.length - 1]!.position, tx);
    });
    this.folded.advance(events[events.length - 1]!.position);
  }

  /**
   * Whether an assignment (made against `roleDefinedSince`, if it says) holds its role's row: not while the
   * role stands removed, nor when both name a definition and they differ (made against an earlier one).
   */
  private async holdsRole(
    tx: EntityManager,
    table: string,
    tenantId: string,
    roleId: string,
    roleDefinedSince: number | undefined,
  ): Promise<boolean> {
    const rows = (await tx.query(
      `SELECT (data->>'removed')::boolean AS removed, (data->>'definedSince')::bigint AS since FROM ${table}
        WHERE tenant_id = $1 AND kind = 'role' AND object_id = $2`,
      [tenantId, roleId],
    )) as { removed: boolean; since: string | null }[];
    const role = rows[0];
    if (role?.removed === true) return false;
    return role?.since == null || roleDefinedSince === undefined || Number(role.since) === roleDefinedSince;
  }

  private table(): string {
    const meta = this.db.getMetadata(PolicyObjectView);
    return `"${meta.schema ?? 'public'}"."${meta.tableName}"`;
  }
}
