import {
  comparePositions,
  StreamNotFoundError,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
} from '@tagguard/event-store';
import type { MemberRef, TagCatalogEvent } from '../domain/tag-catalog.events';
import { evolveCatalog, initialCatalogState, type TagCatalogState } from '../domain/tag-catalog.state';
import {
  applyMembers,
  initialMembersState,
  type TagMembersEvent,
  type TagMembersState,
} from '../domain/tag-members';
import type { TreeView } from '../domain/time-machine';
import { catalogStream, membersStream } from '../streams';
import type { SnapshotStore } from './snapshot-store';
import { decodeCatalog, decodeMembers } from './state-codec';

const PAGE = 1_000;

/** A moment: a timestamp, a global position, or (undefined) now. */
export type AsOf = { timestamp: Date } | { position: GlobalPosition } | undefined;

interface Fold<S> {
  initial: () => S;
  evolve: (s: S, e: { type: string; data: unknown }) => S;
  decode: (json: unknown) => S;
}

const CATALOG: Fold<TagCatalogState> = {
  initial: initialCatalogState,
  evolve: (s, e) => evolveCatalog(s, e as TagCatalogEvent),
  decode: decodeCatalog,
};
// The reader owns every intermediate members state it folds, so it changes it in place.
const MEMBERS: Fold<TagMembersState> = {
  initial: initialMembersState,
  evolve: (s, e) => {
    applyMembers(s.members, e as TagMembersEvent);
    return s;
  },
  decode: decodeMembers,
};

/**
 * Aggregates as they were: the nearest snapshot at or before the moment, then the stream's remaining
 * events up to it. Without snapshots (or with `useSnapshots` off) the whole stream is replayed; the
 * answer is the same.
 */
export class TimeMachineReader {
  constructor(
    private readonly store: EventStore,
    private readonly snapshots?: SnapshotStore,
  ) {}

  catalogAt(tenantId: string, at: AsOf, useSnapshots = true): Promise<TagCatalogState> {
    return this.fold(catalogStream(tenantId), CATALOG, at, useSnapshots).then((r) => r.state);
  }

  async membersAt(
    tenantId: string,
    tagId: string,
    at: AsOf,
    useSnapshots = true,
  ): Promise<Map<string, MemberRef>> {
    return (await this.fold(membersStream(tenantId, tagId), MEMBERS, at, useSnapshots)).state.members;
  }

  /** The catalogue and the members of the given tags, as of one moment. */
  async view(tenantId: string, at: AsOf, tagIds: (catalog: TagCatalogState) => string[]): Promise<TreeView> {
    const catalog = await this.catalogAt(tenantId, at);
    const ids = tagIds(catalog).filter((id) => catalog.nodes.get(id)?.nodeType === 'tag');
    const members = new Map(
      await Promise.all(ids.map(async (id) => [id, await this.membersAt(tenantId, id, at)] as const)),
    );
    return { catalog, members };
  }

  /** State after exactly `revision` (what a snapshot is taken of). */
  async stateAtRevision<S>(streamId: string, kind: 'catalog' | 'members', revision: bigint): Promise<S> {
    const fold = (kind === 'catalog' ? CATALOG : MEMBERS) as unknown as Fold<S>;
    const snap = await this.snapshots?.latest(streamId);
    const base = snap && snap.revision <= revision ? snap : undefined;
    const events = await this.read(streamId, {
      ...(base ? { fromRevision: base.revision + 1n } : {}),
      toRevision: revision,
    });
    return events.reduce((s, e) => fold.evolve(s, e), base ? fold.decode(base.state) : fold.initial());
  }

  private async fold<S>(
    streamId: string,
    fold: Fold<S>,
    at: AsOf,
    useSnapshots: boolean,
  ): Promise<{ state: S }> {
    const snap = useSnapshots ? await this.snapshots?.latest(streamId, at) : undefined;
    let state = snap ? fold.decode(snap.state) : fold.initial();
    // Pages forwards from the snapshot and stops at the moment (a stream's revisions follow the global order).
    for (let from = snap ? snap.revision + 1n : 0n; ;) {
      const page = await this.read(streamId, {
        fromRevision: from,
        maxCount: PAGE,
        ...(at && 'timestamp' in at ? { toTimestamp: at.timestamp } : {}),
      });
      for (const e of page) {
        if (at && 'position' in at && comparePositions(e.position, at.position) > 0) return { state };
        state = fold.evolve(state, e);
      }
      if (page.length < PAGE) return { state };
      from = page[page.length - 1]!.revision + 1n;
    }
  }

  private async read(
    streamId: string,
    options: { fromRevision?: bigint; toRevision?: bigint; toTimestamp?: Date; maxCount?: number },
  ): Promise<RecordedEvent[]> {
    try {
      return await this.store.readStream(streamId, options);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  }
}
