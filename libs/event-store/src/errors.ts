/** Error codes survive process boundaries where `instanceof` does not; gRPC maps them once, at the edge. */
export type EventStoreErrorCode =
  | 'EVENT_STORE.WRONG_EXPECTED_REVISION'
  | 'EVENT_STORE.STREAM_NOT_FOUND'
  | 'EVENT_STORE.STREAM_DELETED'
  | 'EVENT_STORE.EVENT_ID_CONFLICT';

export class EventStoreError extends Error {
  constructor(
    readonly code: EventStoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EventStoreError';
  }
}

export class WrongExpectedRevisionError extends EventStoreError {
  constructor(
    readonly streamId: string,
    readonly expected: string,
    readonly actual: bigint | 'no_stream',
  ) {
    super(
      'EVENT_STORE.WRONG_EXPECTED_REVISION',
      `stream ${streamId}: expected revision ${expected}, actual ${String(actual)}`,
    );
  }
}

export class StreamNotFoundError extends EventStoreError {
  constructor(readonly streamId: string) {
    super('EVENT_STORE.STREAM_NOT_FOUND', `stream ${streamId} not found`);
  }
}

/** An event id already stored elsewhere than this append would put it: a retry that does not match. */
export class EventIdConflictError extends EventStoreError {
  constructor(readonly eventId: string) {
    super(
      'EVENT_STORE.EVENT_ID_CONFLICT',
      `event ${eventId} is already stored with a different stream or revision`,
    );
  }
}
