import {
  comparePositions,
  quoteIdent,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
} from '@tagguard/event-store';
import { CheckpointedSubscriber, type CheckpointStore, type SubscriberRuntime } from '@tagguard/messaging';
import type { ComponentLag } from '@tagguard/telemetry';
import { In, type DataSource, type EntityManager } from 'typeorm';
import type { FollowUpTaskEvent } from '../../domain/automation';
import type { TagCatalogEvent } from '../../domain/tag-catalog.events';
import type { TagMembersEvent } from '../../domain/tag-members';
import { VISIBLE_TO_EVERYONE } from '../../domain/tag-catalog.events';
import {
  CATALOG_CATEGORY,
  categoryOfStream,
  entityIdOf,
  MEMBERS_CATEGORY,
  TAG_SERVICE_CATEGORIES,
} from '../../streams';
import {
  ApprovalView,
  FollowUpTaskView,
  ProjectedStream,
  RevertedChangeView,
  SensitiveOperationView,
  TagMemberView,
  TagNodeView,
} from './catalog-view.entities';

export const CATALOG_VIEW = 'tag-service.catalog-view';

/**
 * Keeps tag-service's read models in step with its streams. Each batch is applied in one transaction with
 * the checkpoint, and each stream's last applied revision is kept (projected_streams), so replays and
 * restarts are no-ops where they overlap.
 */
export class CatalogViewProjection {
  private subscriber?: CheckpointedSubscriber;
  private follower?: NodeJS.Timeout;
  private position?: GlobalPosition;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly store: EventStore,
    private readonly db: DataSource,
    private readonly checkpoints: CheckpointStore,
    private readonly name = CATALOG_VIEW,
    /** Health, parking and fencing from the host (TagsModule); none in unit wiring and rebuilds. */
    private readonly runtime: SubscriberRuntime = {},
  ) {}

  async start(): Promise<void> {
    this.stopFollowing();
    this.position = await this.checkpoints.load(this.name);
    this.subscriber = new CheckpointedSubscriber({
      name: this.name,
      store: this.store,
      filter: { categories: TAG_SERVICE_CATEGORIES },
      checkpoints: this.checkpoints,
      handle: (events) => this.apply(events),
      // A parked event moves the checkpoint too; readers waiting for it must not wait forever.
      onAdvanced: (position) => this.advanceTo(position),
      ...this.runtime,
    });
    await this.subscriber.start();
  }

  async stop(): Promise<void> {
    this.stopFollowing();
    await this.subscriber?.stop();
  }

  /**
   * On a standby instance (another one holds the lease and applies events): follow the leader's
   * checkpoint, so that reads here wait for a consistency token just as on the leader.
   */
  async standBy(intervalMs = 100): Promise<void> {
    this.stopFollowing();
    const follow = async (): Promise<void> => {
      const position = await this.checkpoints.load(this.name).catch(() => undefined);
      if (position) this.advanceTo(position);
    };
    await follow();
    this.follower = setInterval(() => void follow(), intervalMs);
    this.follower.unref();
  }

  lag(): Promise<ComponentLag | undefined> {
    return this.subscriber?.lag() ?? Promise.resolve(undefined);
  }

  private stopFollowing(): void {
    clearInterval(this.follower);
    this.follower = undefined;
  }

  private advanceTo(position: GlobalPosition): void {
    if (this.position && comparePositions(this.position, position) >= 0) return;
    this.position = position;
    for (const check of [...this.waiters]) check();
  }

  /** Resolves once every event up to `position` is in the view, or rejects after `timeoutMs`. */
  waitFor(position: GlobalPosition, timeoutMs: number): Promise<void> {
    if (this.position && comparePositions(this.position, position) >= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.position && comparePositions(this.position, position) >= 0) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new ConsistencyTimeoutError(timeoutMs));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  async apply(events: RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1]!.position;
    await this.db.transaction(async (tx) => {
      // The last revision applied per stream, read once per batch and written back once.
      const ids = [...new Set(events.map((e) => e.streamId))];
      const seen = new Map(
        (await tx.getRepository(ProjectedStream).findBy({ streamId: In(ids) })).map((r) => [
          r.streamId,
          BigInt(r.revision),
        ]),
      );
      const applied = new Map<string, bigint>();
      for (const event of events) {
        const last = applied.get(event.streamId) ?? seen.get(event.streamId);
        if (last !== undefined && last >= event.revision) continue;
        await applyOne(tx, event);
        applied.set(event.streamId, event.revision);
      }
      if (applied.size > 0)
        await tx
          .createQueryBuilder()
          .insert()
          .into(ProjectedStream)
          .values([...applied].map(([streamId, revision]) => ({ streamId, revision: String(revision) })))
          .orUpdate(['revision'], ['stream_id'])
          .execute();
      await this.checkpoints.save(this.name, last, tx);
    });
    this.position = last;
    for (const check of [...this.waiters]) check();
  }
}

async function applyOne(tx: EntityManager, recorded: RecordedEvent): Promise<void> {
  const category = categoryOfStream(recorded.streamId);
  if (category === CATALOG_CATEGORY)
    await applyCatalog(tx, recorded, { type: recorded.type, data: recorded.data } as TagCatalogEvent);
  else if (category === MEMBERS_CATEGORY)
    await applyMembers(tx, recorded, { type: recorded.type, data: recorded.data } as TagMembersEvent);
  else await applyTask(tx, recorded, { type: recorded.type, data: recorded.data } as FollowUpTaskEvent);
}

async function applyCatalog(
  tx: EntityManager,
  recorded: RecordedEvent,
  event: TagCatalogEvent,
): Promise<void> {
  const tenantId = recorded.metadata.tenantId;
  const at = new Date(recorded.metadata.occurredAt);
  const nodes = tx.getRepository(TagNodeView);
  const bump = async (nodeId: string, change: Partial<TagNodeView>): Promise<void> => {
    await nodes.increment({ tenantId, nodeId }, 'revision', 1);
    await nodes.update({ tenantId, nodeId }, { ...change, updatedAt: at });
  };
  switch (event.type) {
    case 'NodeCreated':
      await nodes.save({
        tenantId,
        nodeId: event.data.nodeId,
        nodeType: event.data.nodeType,
        kind: event.data.kind,
        name: event.data.name,
        parentId: event.data.parentId,
        sortOrder: event.data.order,
        description: event.data.description,
        visibility: VISIBLE_TO_EVERYONE,
        sensitive: false,
        isProtected: false,
        status: 'active',
        revision: 0,
        memberCount: 0,
        binRootId: null,
        deletedBy: null,
        deletedAt: null,
        purgeDueAt: null,
        createdAt: at,
        updatedAt: at,
      });
      return;
    case 'NodeRenamed':
      return bump(event.data.nodeId, { name: event.data.name });
    case 'NodeMoved':
      return bump(event.data.nodeId, { parentId: event.data.parentId, sortOrder: event.data.order });
    case 'NodeReordered':
      return bump(event.data.nodeId, { sortOrder: event.data.order });
    case 'NodeDescribed':
      return bump(event.data.nodeId, { description: event.data.description });
    case 'VisibilityConfigured':
      return bump(event.data.nodeId, { visibility: event.data.visibility, sensitive: event.data.sensitive });
    case 'ProtectionSet':
      return bump(event.data.nodeId, { isProtected: event.data.protected });
    case 'NodesBinned':
      for (const nodeId of event.data.nodeIds)
        await bump(nodeId, {
          status: 'binned',
          binRootId: event.data.rootId,
          deletedBy: event.data.deletedBy,
          deletedAt: new Date(event.data.deletedAt),
          purgeDueAt: new Date(event.data.purgeDueAt),
        });
      return;
    case 'NodesRestored':
      for (const nodeId of event.data.nodeIds)
        await bump(nodeId, {
          status: 'active',
          binRootId: null,
          deletedBy: null,
          deletedAt: null,
          purgeDueAt: null,
        });
      return;
    case 'NodesPurged':
      for (const nodeId of event.data.nodeIds) await bump(nodeId, { status: 'purged' });
      return;
    case 'NodeStateRestored': {
      const { node, status, bin } = event.data;
      const existing = await nodes.findOneBy({ tenantId, nodeId: node.nodeId });
      await nodes.save({
        tenantId,
        nodeId: node.nodeId,
        nodeType: node.nodeType,
        kind: node.kind,
        name: node.name,
        parentId: node.parentId,
        sortOrder: node.order,
        description: node.description,
        visibility: node.visibility,
        sensitive: node.sensitive,
        isProtected: node.protected,
        status,
        revision: existing ? existing.revision + 1 : 0,
        memberCount: existing?.memberCount ?? 0,
        binRootId: bin?.rootId ?? null,
        deletedBy: bin?.deletedBy ?? null,
        deletedAt: bin ? new Date(bin.deletedAt) : null,
        purgeDueAt: bin ? new Date(bin.purgeDueAt) : null,
        createdAt: existing?.createdAt ?? at,
        updatedAt: at,
      });
      return;
    }
    case 'SensitiveOperationDetected':
      await tx.save(SensitiveOperationView, {
        tenantId,
        operationId: event.data.operationId,
        level: event.data.level,
        operation: event.data.operation,
        actorId: event.data.actorId,
        actorDepartment: event.data.actorDepartment,
        totalMembers: event.data.totalMembers,
        affected: event.data.affected,
        beforeState: event.data.beforeState,
        approvedBy: event.data.approvedBy,
        detectedAt: at,
      });
      return;
    case 'ApprovalRequested':
      await tx.save(ApprovalView, {
        tenantId,
        approvalId: event.data.approvalId,
        operation: event.data.operation,
        requestedBy: event.data.requestedBy,
        requestedAt: new Date(event.data.requestedAt),
        expiresAt: new Date(event.data.expiresAt),
        status: 'pending',
        decidedBy: null,
      });
      return;
    case 'ApprovalGranted':
    case 'ApprovalRejected':
      await tx.update(
        ApprovalView,
        { tenantId, approvalId: event.data.approvalId },
        { status: event.type === 'ApprovalGranted' ? 'granted' : 'rejected', decidedBy: event.data.by },
      );
      return;
    case 'ApprovalExpired':
      await tx.update(ApprovalView, { tenantId, approvalId: event.data.approvalId }, { status: 'expired' });
      return;
    case 'AbnormalChangeReverted':
      await tx.save(RevertedChangeView, {
        tenantId,
        eventId: recorded.id,
        ruleId: event.data.ruleId,
        tagId: event.data.tagId,
        actorId: event.data.actorId,
        members: event.data.members,
        reason: event.data.reason,
        revertedEventId: event.data.revertedEventId,
        revertedAt: at,
      });
      return;
    default:
      // Freezes, policy, rules and notifications are read from the catalogue itself (small, consistent).
      return;
  }
}

async function applyMembers(
  tx: EntityManager,
  recorded: RecordedEvent,
  event: TagMembersEvent,
): Promise<void> {
  const tenantId = recorded.metadata.tenantId;
  const tagId = entityIdOf(recorded);
  const at = new Date(recorded.metadata.occurredAt);
  const rows = event.data.members.map((m) => ({
    tenantId,
    tagId,
    memberKind: m.kind,
    memberId: m.id,
    addedBy: recorded.metadata.actorId,
    addedAt: at,
  }));
  // The count moves by what actually changed (a member added twice counts once), as in the rebuild's fold.
  const meta = tx.connection.getMetadata(TagMemberView);
  const table = `${quoteIdent(meta.schema!)}.${quoteIdent(meta.tableName)}`;
  const kinds = rows.map((r) => r.memberKind);
  const ids = rows.map((r) => r.memberId);
  // Counted in SQL: TypeORM answers a DELETE with [rows, count], an INSERT with rows.
  const [{ n }] = (await (event.type === 'MembersAdded'
    ? tx.query(
        `WITH changed AS (INSERT INTO ${table} (tenant_id, tag_id, member_kind, member_id, added_by, added_at)
           SELECT $1, $2, k, i, $3, $4 FROM unnest($5::text[], $6::text[]) AS u(k, i)
           ON CONFLICT DO NOTHING RETURNING 1)
         SELECT count(*)::int AS n FROM changed`,
        [tenantId, tagId, recorded.metadata.actorId, at, kinds, ids],
      )
    : tx.query(
        `WITH changed AS (DELETE FROM ${table} WHERE tenant_id = $1 AND tag_id = $2
           AND (member_kind, member_id) IN (SELECT k, i FROM unnest($3::text[], $4::text[]) AS u(k, i)) RETURNING 1)
         SELECT count(*)::int AS n FROM changed`,
        [tenantId, tagId, kinds, ids],
      ))) as [{ n: number }];
  const delta = event.type === 'MembersAdded' ? n : -n;
  if (delta !== 0) await tx.increment(TagNodeView, { tenantId, nodeId: tagId }, 'memberCount', delta);
}

async function applyTask(
  tx: EntityManager,
  recorded: RecordedEvent,
  event: FollowUpTaskEvent,
): Promise<void> {
  const tenantId = recorded.metadata.tenantId;
  if (event.type === 'FollowUpTaskCreated') {
    const d = event.data;
    await tx.save(FollowUpTaskView, {
      tenantId,
      taskId: d.taskId,
      ruleId: d.ruleId,
      tagId: d.tagId,
      customerId: d.customerId,
      assigneeId: d.assigneeId,
      dueAt: new Date(d.dueAt),
      guide: d.guide,
      status: 'open',
      completedBy: null,
      completedAt: null,
      note: '',
      createdAt: new Date(d.createdAt),
    });
  } else {
    await tx.update(
      FollowUpTaskView,
      { tenantId, taskId: event.data.taskId },
      {
        status: 'completed',
        completedBy: event.data.completedBy,
        completedAt: new Date(event.data.completedAt),
        note: event.data.note,
      },
    );
  }
}

export class ConsistencyTimeoutError extends Error {
  readonly code = 'TAG.CONSISTENCY_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`the read model did not reach the consistency token within ${timeoutMs} ms`);
  }
}
