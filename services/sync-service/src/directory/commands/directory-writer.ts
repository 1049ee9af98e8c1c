import { KEY_LEASE, KeyedStreamWriter, type EventStore, type KeyLease } from '@tagguard/event-store';
import { DirectoryError, type DirectoryErrorCode } from '../domain/directory.errors';
import { REQUEST_KEY_CATEGORY } from '../streams';
import type { WriteSnapshots } from './write-snapshots';

export { IDEMPOTENCY_WINDOW_MS } from '@tagguard/event-store';
export type { Target, WriteMeta, WriteOptions, WriteOutcome } from '@tagguard/event-store';

/**
 * sync-service's one write path (the shared keyed-stream writer, D42/D51): every command of every
 * feature, from the admin API and from sources alike, goes through `write` (and `once` for an
 * idempotency key), with write snapshots for the department tree. Its refusals are `DIRECTORY.*`.
 */
export class DirectoryWriter extends KeyedStreamWriter {
  constructor(
    store: EventStore,
    snapshots?: WriteSnapshots,
    clock: () => Date = () => new Date(),
    keys: KeyLease = KEY_LEASE,
  ) {
    super(store, {
      codePrefix: 'DIRECTORY',
      error: (code, message, field) => new DirectoryError(code as DirectoryErrorCode, message, field),
      requestKeyCategory: REQUEST_KEY_CATEGORY,
      ...(snapshots ? { snapshots } : {}),
      clock,
      keys,
    });
  }
}
