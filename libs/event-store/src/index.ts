export {
  comparePositions,
  positionFromToken,
  positionToToken,
  START,
  type EventEnvelope,
  type EventMetadata,
  type GlobalPosition,
  type RecordedEvent,
} from './envelope';
export {
  EventIdConflictError,
  EventStoreError,
  StreamNotFoundError,
  WrongExpectedRevisionError,
  type EventStoreErrorCode,
} from './errors';
export type {
  AppendResult,
  EventFilter,
  EventStore,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  SubscribeOptions,
  Subscription,
} from './event-store.port';
export { PostgresEventStore, type PostgresEventStoreOptions } from './postgres/postgres-event-store';
export { createSchemaIfMissing, quoteIdent } from './postgres/schema';
export { categoryOf, idAfterTenant, idOf, streamName, tenantScopedId } from './stream-name';
export { CallerSessions } from './caller-sessions';
export { KurrentDbEventStore } from './kurrentdb/kurrentdb-event-store';
export { openEventStore, type EventStoreConnection } from './open-event-store';
export {
  IDEMPOTENCY_WINDOW_MS,
  KEY_LEASE,
  KeyedStreamWriter,
  MAX_CONFLICT_RETRIES,
  requestHash,
  SCHEMA_VERSION,
  type KeyedStreamWriterOptions,
  type KeyLease,
  type Target,
  type WriteMeta,
  type WriteOptions,
  type WriteOutcome,
  type Decider,
  type DomainEvent,
  type WriterErrorKind,
  type WriteSnapshotStore,
} from './keyed-stream-writer';
