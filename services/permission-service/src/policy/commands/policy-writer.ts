import { KEY_LEASE, KeyedStreamWriter, type EventStore, type KeyLease } from '@tagguard/event-store';
import { PolicyError, type PolicyErrorCode } from '../domain/policy.errors';
import { REQUEST_KEY_CATEGORY } from '../streams';

export type { Target, WriteMeta, WriteOptions, WriteOutcome } from '@tagguard/event-store';

/**
 * permission-service's one write path (the shared keyed-stream writer, D42/D51): every command of every
 * feature, from the admin API and from the tag-service consumer alike, goes through `write` (and `once`
 * for an idempotency key). Its refusals are `PERMISSION.*` PolicyErrors.
 */
export class PolicyWriter extends KeyedStreamWriter {
  constructor(store: EventStore, clock: () => Date = () => new Date(), keys: KeyLease = KEY_LEASE) {
    super(store, {
      codePrefix: 'PERMISSION',
      error: (code, message, field) => new PolicyError(code as PolicyErrorCode, message, field),
      requestKeyCategory: REQUEST_KEY_CATEGORY,
      clock,
      keys,
    });
  }
}
