import {
  comparePositions,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
  type Subscription,
} from '@tagguard/event-store';
import type { CheckpointStore } from '@tagguard/messaging';
import type { DataSource, EntityManager } from 'typeorm';
import type { TagEvent } from '../../domain/tag.events';
import { TAG_CATEGORY, tagIdOf } from '../../tag-stream';
import { TagView } from './tag-view.entity';

const PROJECTION = 'tag-service.tag-view';

/**
 * Keeps tag_view in step with the tag streams. Each batch is applied in one transaction together with
 * the projection's checkpoint, and each row only accepts the next revision, so replays and restarts
 * are no-ops where they overlap.
 */
export class TagViewProjection {
  private subscription?: Subscription;
  private position?: GlobalPosition;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly store: EventStore,
    private readonly db: DataSource,
    private readonly checkpoints: CheckpointStore,
  ) {}

  async start(): Promise<void> {
    this.position = await this.checkpoints.load(PROJECTION);
    this.subscription = this.store.subscribe({
      ...(this.position ? { after: this.position } : {}),
      filter: { categories: [TAG_CATEGORY] },
      onEvents: (events) => this.apply(events),
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
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

  private async apply(events: RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1]!.position;
    await this.db.transaction(async (tx) => {
      for (const event of events) await applyOne(tx, event);
      await this.checkpoints.save(PROJECTION, last, tx);
    });
    this.position = last;
    for (const check of [...this.waiters]) check();
  }
}

async function applyOne(tx: EntityManager, recorded: RecordedEvent): Promise<void> {
  const event = { type: recorded.type, data: recorded.data } as TagEvent;
  const tenantId = recorded.metadata.tenantId;
  const tagId = tagIdOf(recorded);
  const repo = tx.getRepository(TagView);
  const row = await repo.findOneBy({ tenantId, tagId });
  if (row && BigInt(row.revision) >= recorded.revision) return;
  const revision = String(recorded.revision);
  const at = new Date(recorded.metadata.occurredAt);
  switch (event.type) {
    case 'TagCreated':
      await repo.save({
        tenantId,
        tagId,
        name: event.data.name,
        kind: event.data.kind,
        revision,
        deleted: false,
        createdAt: at,
        updatedAt: at,
      });
      return;
    case 'TagRenamed':
      if (row) await repo.update({ tenantId, tagId }, { name: event.data.name, revision, updatedAt: at });
      return;
    case 'TagDeleted':
      if (row) await repo.update({ tenantId, tagId }, { deleted: true, revision, updatedAt: at });
      return;
    default:
      return;
  }
}

export class ConsistencyTimeoutError extends Error {
  readonly code = 'TAG.CONSISTENCY_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`the read model did not reach the consistency token within ${timeoutMs} ms`);
  }
}
