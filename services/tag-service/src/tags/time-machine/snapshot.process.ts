import type { EventStore, RecordedEvent } from '@tagguard/event-store';
import { CheckpointedSubscriber, type CheckpointStore, type SubscriberRuntime } from '@tagguard/messaging';
import type { TagCatalogState } from '../domain/tag-catalog.state';
import type { TagMembersState } from '../domain/tag-members';
import { CATALOG_CATEGORY, categoryOfStream, MEMBERS_CATEGORY } from '../streams';
import type { SnapshotStore } from './snapshot-store';
import { encodeCatalog, encodeMembers } from './state-codec';
import type { TimeMachineReader } from './time-machine.reader';

const NAME = 'tag-service.snapshots';

/** Every `every` events of a catalogue or members stream, the state after that event is saved. */
export class SnapshotProcess {
  private subscriber?: CheckpointedSubscriber;

  constructor(
    private readonly store: EventStore,
    private readonly reader: TimeMachineReader,
    private readonly snapshots: SnapshotStore,
    private readonly checkpoints: CheckpointStore,
    private readonly every: number,
    /** Health, parking and fencing from the host (TagsModule); none in unit wiring. */
    private readonly runtime: SubscriberRuntime = {},
  ) {}

  async start(): Promise<void> {
    this.subscriber = new CheckpointedSubscriber({
      name: NAME,
      store: this.store,
      filter: { categories: [CATALOG_CATEGORY, MEMBERS_CATEGORY] },
      checkpoints: this.checkpoints,
      handle: async (events) => {
        for (const event of events)
          if ((event.revision + 1n) % BigInt(this.every) === 0n) await this.snapshot(event);
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

  private async snapshot(event: RecordedEvent): Promise<void> {
    const catalog = categoryOfStream(event.streamId) === CATALOG_CATEGORY;
    const state = catalog
      ? encodeCatalog(
          await this.reader.stateAtRevision<TagCatalogState>(event.streamId, 'catalog', event.revision),
        )
      : encodeMembers(
          await this.reader.stateAtRevision<TagMembersState>(event.streamId, 'members', event.revision),
        );
    await this.snapshots.save({
      streamId: event.streamId,
      revision: event.revision,
      position: event.position,
      recordedAt: event.recordedAt,
      state,
    });
  }
}
