import type { GlobalPosition } from '@tagguard/event-store';
import type { Answer, Loaded } from './event-writer';

/** What the write side needs of a snapshot store (the time machine's SnapshotStore is one). */
export interface WriteSnapshotStore {
  latest(streamId: string): Promise<WriteSnapshot | undefined>;
  save(snapshot: WriteSnapshot): Promise<void>;
  deleteBefore?(streamId: string, revision: bigint): Promise<void>;
}

export interface WriteSnapshot {
  streamId: string;
  revision: bigint;
  position: GlobalPosition;
  recordedAt: Date;
  state: unknown;
}

/**
 * A write-side state is saved every WRITE_SNAPSHOT_EVERY events of its stream, with the answers still in
 * the idempotency window, so that a cold load reads the snapshot and at most that many events after it.
 */
export const WRITE_SNAPSHOT_EVERY = 256;

/** Apart from the time machine's snapshots of the same stream (those hold no answers). */
export const writeSnapshotId = (stream: string): string => `${stream}#write`;

interface Encoded {
  state: unknown;
  answers: [
    string,
    Omit<Answer, 'position' | 'recordedAt'> & { position: [string, string]; recordedAt: string },
  ][];
}

export function encodeLoaded<S>(loaded: Loaded<S>, encode: (s: S) => unknown): Encoded {
  return {
    state: encode(loaded.state),
    answers: [...loaded.answers].map(([key, a]) => [
      key,
      {
        ...a,
        position: [String(a.position.commit), String(a.position.prepare)],
        recordedAt: a.recordedAt.toISOString(),
      },
    ]),
  };
}

export function decodeLoaded<S>(snapshot: WriteSnapshot, decode: (json: unknown) => S): Loaded<S> {
  const json = snapshot.state as Encoded;
  return {
    state: decode(json.state),
    revision: snapshot.revision,
    position: snapshot.position,
    recordedAt: snapshot.recordedAt,
    snapshotRevision: snapshot.revision,
    answers: new Map(
      json.answers.map(([key, a]) => [
        key,
        {
          ...a,
          position: { commit: BigInt(a.position[0]), prepare: BigInt(a.position[1]) },
          recordedAt: new Date(a.recordedAt),
        },
      ]),
    ),
  };
}
