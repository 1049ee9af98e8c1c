import {
  comparePositions,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
} from '@tagguard/event-store';
import { CheckpointedSubscriber, type CheckpointStore, type SubscriberRuntime } from '@tagguard/messaging';
import type { ComponentLag } from '@tagguard/telemetry';
import type { DataSource, EntityTarget } from 'typeorm';
import { TAG_SERVICE_CATEGORIES } from '../../streams';
import {
  ApprovalView,
  FollowUpTaskView,
  ProjectedStream,
  RevertedChangeView,
  SensitiveOperationView,
  TagMemberView,
  TagNodeView,
} from './catalog-view.entities';
import { CatalogViewModel, LoadedRows, memberKey, rowKey, RowsTouched } from './catalog-view.reducer';
import { RowStatements } from './catalog-view.rows';

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
    private readonly batchSize = 5_000,
  ) {}

  async start(): Promise<void> {
    this.stopFollowing();
    this.position = await this.checkpoints.load(this.name);
    this.subscriber = new CheckpointedSubscriber({
      name: this.name,
      store: this.store,
      filter: { categories: TAG_SERVICE_CATEGORIES },
      checkpoints: this.checkpoints,
      // Large batches for catch-up (a few statements per batch, whatever its size); live batches stay small.
      batchSize: this.batchSize,
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

  /**
   * One transaction per batch: the batch is folded in memory by the rebuild's own mapping
   * (CatalogViewModel) over just the rows it touches, loaded first; the changed rows, the streams'
   * revisions and the checkpoint are then written with a few multi-row statements per table.
   */
  async apply(events: RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1]!.position;
    await this.db.transaction(async (tx) => {
      const sql = new RowStatements(tx);
      const model = new CatalogViewModel(() => new LoadedRows());
      const streamIds = [...new Set(events.map((e) => e.streamId))];
      const seen = new Map(
        (
          await sql.load(
            ProjectedStream,
            streamIds.map((streamId) => ({ streamId })),
          )
        ).map((r) => [r.streamId, BigInt(r.revision)]),
      );
      for (const id of streamIds) loaded(model.streams).load(id, seen.get(id));
      const touched = new RowsTouched();
      for (const event of events) touched.add(event);
      const before = await load(sql, model, touched);
      // The fold skips what is at or below a stream's last applied revision (a replay, a redelivery).
      for (const event of events) model.apply(event);
      const advanced = [...model.streams].filter(([id, revision]) => seen.get(id) !== revision);
      if (advanced.length > 0) {
        await save(sql, model, touched, before);
        await sql.upsert(
          ProjectedStream,
          advanced.map(([streamId, revision]) => ({ streamId, revision: String(revision) })),
        );
      }
      await this.checkpoints.save(this.name, last, tx);
    });
    this.position = last;
    for (const check of [...this.waiters]) check();
  }
}

const loaded = <V>(map: Map<string, V>): LoadedRows<V> => map as LoadedRows<V>;

/** Loads the rows a batch reads into the model; returns the member rows found, by tag and member key. */
async function load(
  sql: RowStatements,
  model: CatalogViewModel,
  touched: RowsTouched,
): Promise<Map<string, TagMemberView>> {
  const seed = async <T extends object>(
    entity: EntityTarget<T>,
    keys: Map<string, Partial<T>>,
    into: Map<string, T>,
    keyOf: (row: T) => string,
  ): Promise<void> => {
    const rows = new Map((await sql.load(entity, [...keys.values()])).map((r) => [keyOf(r), r]));
    for (const key of keys.keys()) loaded(into).load(key, rows.get(key));
  };
  await seed(TagNodeView, touched.nodes, model.nodes, (n) => rowKey(n.tenantId, n.nodeId));
  await seed(ApprovalView, touched.approvals, model.approvals, (a) => rowKey(a.tenantId, a.approvalId));
  await seed(FollowUpTaskView, touched.tasks, model.tasks, (t) => rowKey(t.tenantId, t.taskId));

  const pairs = [...touched.members.values()].flatMap((m) => [...m.values()]);
  const before = new Map(
    (await sql.load(TagMemberView, pairs)).map((m) => [
      rowKey(rowKey(m.tenantId, m.tagId), memberKey(m.memberKind, m.memberId)),
      m,
    ]),
  );
  for (const [tagKey, members] of touched.members) {
    const rows = new LoadedRows<TagMemberView>();
    for (const key of members.keys()) rows.load(key, before.get(rowKey(tagKey, key)));
    loaded(model.membersByTag).load(tagKey, rows);
  }
  return before;
}

/** Writes the folded rows back: every row the model holds is one the batch loaded or wrote. */
async function save(
  sql: RowStatements,
  model: CatalogViewModel,
  touched: RowsTouched,
  membersBefore: Map<string, TagMemberView>,
): Promise<void> {
  await sql.upsert(TagNodeView, [...model.nodes.values()]);
  // Every touched member was loaded (found or absent): rows that went or changed are deleted, and new
  // rows inserted without a conflict check.
  const inserted: TagMemberView[] = [];
  const deleted: TagMemberView[] = [];
  for (const [tagKey, pairs] of touched.members) {
    const members = model.membersByTag.get(tagKey)!;
    for (const key of pairs.keys()) {
      const now = members.get(key);
      const was = membersBefore.get(rowKey(tagKey, key));
      if (now === was) continue;
      if (was) deleted.push(was);
      if (now) inserted.push(now);
    }
  }
  await sql.delete(TagMemberView, deleted);
  await sql.insert(TagMemberView, inserted);
  await sql.upsert(ApprovalView, [...model.approvals.values()]);
  await sql.upsert(SensitiveOperationView, [...model.sensitive.values()]);
  await sql.upsert(RevertedChangeView, [...model.reverted.values()]);
  await sql.upsert(FollowUpTaskView, [...model.tasks.values()]);
}

export class ConsistencyTimeoutError extends Error {
  readonly code = 'TAG.CONSISTENCY_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`the read model did not reach the consistency token within ${timeoutMs} ms`);
  }
}
