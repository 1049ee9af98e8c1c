import type { EventEnvelope, GlobalPosition, RecordedEvent } from './envelope';

/** `no_stream`: must not exist; `stream_exists`: must exist; `any`: no check; a bigint: exact last revision. */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | bigint;

export interface AppendResult {
  /** Revision of the last event written (or already present, for an idempotent retry). */
  nextRevision: bigint;
  /** Global position of the last event written. */
  position: GlobalPosition;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Start here (inclusive); default: first (forwards) or last (backwards). */
  fromRevision?: bigint;
  /** Stop after this revision (inclusive). */
  toRevision?: bigint;
  /** Only events recorded at or before this moment: the stream "as of" then. */
  toTimestamp?: Date;
  maxCount?: number;
}

export interface EventFilter {
  /** Stream categories (the part before the first dash). */
  categories?: string[];
  eventTypes?: string[];
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Default: the start. */
  after?: GlobalPosition;
  /** Inclusive upper bound. */
  to?: GlobalPosition;
  filter?: EventFilter;
  maxCount?: number;
}

export interface SubscribeOptions {
  /** Exclusive checkpoint: deliver events strictly after it. Default: from the start. */
  after?: GlobalPosition;
  filter?: EventFilter;
  /** Called with each batch in global order; the next batch waits until it resolves. */
  onEvents(events: RecordedEvent[]): Promise<void>;
  /** Called once, when the subscription has delivered everything stored when it caught up. */
  onCaughtUp?(): void;
  /** A handler failure stops the subscription and is reported here. */
  onError?(error: unknown): void;
  /** A read from the store failed; it is retried after `delayMs` (the subscription does not end). */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
  /** Reads work again after one or more failed. */
  onRecovered?(): void;
  batchSize?: number;
}

export interface Subscription {
  /** Stops delivering; resolves when no batch is being handled any more. */
  stop(): Promise<void>;
  /** Settles when the subscription ends: resolves on stop(), rejects on a handler or store error. */
  readonly done: Promise<void>;
}

/**
 * The event store every service writes its state changes to. Streams are `<category>-<id>`;
 * appends are optimistic (expected revision) and idempotent by event id; the global order is gap-safe
 * (a reader never passes an event that commits later).
 */
export interface EventStore {
  append(streamId: string, events: EventEnvelope[], expected: ExpectedRevision): Promise<AppendResult>;
  /** Throws StreamNotFoundError for a stream that never existed or was deleted. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** The position of the last committed event in the global order (START when empty). */
  headPosition(): Promise<GlobalPosition>;
  /** How many events `readAll` would return without a maxCount, where the store can tell cheaply. */
  count?(options?: Omit<ReadAllOptions, 'maxCount'>): Promise<number>;
  subscribe(options: SubscribeOptions): Subscription;
  /** Soft delete: the stream reads as not found, its events stay in the global log (the time machine
   * needs them); appending with `no_stream`/`any` starts it again after its last revision. */
  deleteStream(streamId: string, expected?: ExpectedRevision): Promise<void>;
  close(): Promise<void>;
}
