import {
  comparePositions,
  idOf,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
  type Subscription,
} from '@tagguard/event-store';
import type { DataSource, EntityManager } from 'typeorm';
import type { TagEvent } from '../../domain/tag.events';
import { TAG_CATEGORY } from '../../tag-stream';
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
    private readonly schema: string,
  ) {}

  async start(): Promise<void> {
    await this.db.query(`CREATE TABLE IF NOT EXISTS "${this.schema}".projection_checkpoints (
      name text PRIMARY KEY, commit_position numeric(20) NOT NULL, prepare_position numeric(20) NOT NULL)`);
    const [row] = (await this.db.query(
      `SELECT commit_position, prepare_position FROM "${this.schema}".projection_checkpoints WHERE name = $1`,
      [PROJECTION],
    )) as { commit_position: string; prepare_position: string }[];
    if (row) this.position = { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) };
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
      await tx.query(
        `INSERT INTO "${this.schema}".projection_checkpoints (name, commit_position, prepare_position) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET commit_position = $2, prepare_position = $3`,
        [PROJECTION, String(last.commit), String(last.prepare)],
      );
    });
    this.position = last;
    for (const check of [...this.waiters]) check();
  }
}

async function applyOne(tx: EntityManager, recorded: RecordedEvent): Promise<void> {
  const event = { type: recorded.type, data: recorded.data } as TagEvent;
  const tenantId = recorded.metadata.tenantId;
  const tagId = idOf(recorded.streamId).slice(tenantId.length + 1);
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
