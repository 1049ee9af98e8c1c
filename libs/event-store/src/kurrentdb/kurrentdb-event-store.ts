import {
  ANY,
  BACKWARDS,
  END,
  FORWARDS,
  jsonEvent,
  KurrentDBClient,
  NO_STREAM,
  START as KURRENT_START,
  STREAM_EXISTS,
  StreamNotFoundError as KurrentStreamNotFound,
  StreamDeletedError as KurrentStreamDeleted,
  WrongExpectedVersionError,
  streamNameFilter,
  type AppendStreamState,
  type Position,
  type RecordedEvent as KurrentRecordedEvent,
} from '@kurrent/kurrentdb-client';
import {
  type EventEnvelope,
  type EventMetadata,
  type GlobalPosition,
  type RecordedEvent,
  START,
  comparePositions,
} from '../envelope';
import { StreamNotFoundError, WrongExpectedRevisionError } from '../errors';
import type {
  AppendResult,
  EventFilter,
  EventStore,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { withSpan } from '../tracing';

/**
 * EventStoreDB/KurrentDB through the official gRPC client. Our metadata rides in the event's JSON
 * metadata, with $correlationId/$causationId set so the database's own tooling links events too.
 */
export class KurrentDbEventStore implements EventStore {
  private readonly client: KurrentDBClient;

  constructor(connectionString: string) {
    this.client = KurrentDBClient.connectionString(connectionString);
  }

  append(streamId: string, events: EventEnvelope[], expected: ExpectedRevision): Promise<AppendResult> {
    return withSpan(
      'eventstore.append',
      { 'tagguard.stream': streamId, 'tagguard.event_count': events.length },
      async () => {
        try {
          const result = await this.client.appendToStream(
            streamId,
            events.map((e) =>
              jsonEvent({
                id: e.id,
                type: e.type,
                data: e.data as Record<string, unknown>,
                metadata: {
                  ...e.metadata,
                  schemaVersion: e.schemaVersion,
                  $correlationId: e.metadata.correlationId,
                  ...(e.metadata.causationId ? { $causationId: e.metadata.causationId } : {}),
                },
              }),
            ),
            { streamState: toStreamState(expected) },
          );
          return { nextRevision: result.nextExpectedRevision, position: fromPosition(result.position) };
        } catch (error) {
          if (error instanceof WrongExpectedVersionError) {
            throw new WrongExpectedRevisionError(
              streamId,
              String(expected),
              typeof error.actualState === 'bigint' ? error.actualState : 'no_stream',
            );
          }
          throw error;
        }
      },
    );
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return withSpan('eventstore.read_stream', { 'tagguard.stream': streamId }, async () => {
      const backwards = options.direction === 'backwards';
      const out: RecordedEvent[] = [];
      try {
        for await (const resolved of this.client.readStream(streamId, {
          direction: backwards ? BACKWARDS : FORWARDS,
          fromRevision: options.fromRevision ?? (backwards ? END : KURRENT_START),
        })) {
          if (!resolved.event) continue;
          const event = toRecorded(resolved.event);
          if (
            options.toRevision !== undefined &&
            (backwards ? event.revision < options.toRevision : event.revision > options.toRevision)
          )
            break;
          if (options.toTimestamp && event.recordedAt.getTime() > options.toTimestamp.getTime()) {
            if (backwards) continue;
            break;
          }
          out.push(event);
          if (options.maxCount !== undefined && out.length >= options.maxCount) break;
        }
      } catch (error) {
        if (error instanceof KurrentStreamNotFound || error instanceof KurrentStreamDeleted)
          throw new StreamNotFoundError(streamId);
        throw error;
      }
      return out;
    });
  }

  readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return withSpan('eventstore.read_all', {}, async () => {
      const out: RecordedEvent[] = [];
      const max = options.maxCount ?? 1000;
      const after = options.after ?? START;
      for await (const resolved of this.client.readAll({
        fromPosition: comparePositions(after, START) === 0 ? KURRENT_START : after,
        ...(options.filter?.categories?.length
          ? { filter: streamNameFilter({ prefixes: options.filter.categories.map((c) => `${c}-`) }) }
          : {}),
      })) {
        if (!resolved.event || resolved.event.type.startsWith('$')) continue;
        const event = toRecorded(resolved.event);
        if (comparePositions(event.position, after) <= 0) continue;
        if (options.to && comparePositions(event.position, options.to) > 0) break;
        if (!matches(event, options.filter)) continue;
        out.push(event);
        if (out.length >= max) break;
      }
      return out;
    });
  }

  async headPosition(): Promise<GlobalPosition> {
    for await (const resolved of this.client.readAll({
      direction: BACKWARDS,
      fromPosition: END,
      maxCount: 50,
    })) {
      if (resolved.event && !resolved.event.type.startsWith('$'))
        return fromPosition(resolved.event.position);
    }
    return START;
  }

  subscribe(options: SubscribeOptions): Subscription {
    const after = options.after ?? START;
    const subscription = this.client.subscribeToAll({
      fromPosition: comparePositions(after, START) === 0 ? KURRENT_START : after,
      ...(options.filter?.categories?.length
        ? { filter: streamNameFilter({ prefixes: options.filter.categories.map((c) => `${c}-`) }) }
        : {}),
    });
    let stopped = false;
    subscription.on('caughtUp', () => options.onCaughtUp?.());
    const done = (async () => {
      for await (const resolved of subscription) {
        if (stopped) break;
        if (!resolved.event || resolved.event.type.startsWith('$')) continue;
        const event = toRecorded(resolved.event);
        if (comparePositions(event.position, after) <= 0 || !matches(event, options.filter)) continue;
        await options.onEvents([event]);
      }
    })();
    done.catch((error: unknown) => options.onError?.(error));
    return {
      done,
      async stop() {
        stopped = true;
        await subscription.unsubscribe();
        await done.catch(() => undefined);
      },
    };
  }

  async deleteStream(streamId: string, expected: ExpectedRevision = 'any'): Promise<void> {
    try {
      // Deleting a missing stream fails anyway, so stream_exists needs no check of its own.
      await this.client.deleteStream(streamId, {
        expectedRevision:
          expected === 'stream_exists'
            ? ANY
            : (toStreamState(expected) as typeof ANY | typeof NO_STREAM | bigint),
      });
    } catch (error) {
      if (error instanceof WrongExpectedVersionError)
        throw new WrongExpectedRevisionError(streamId, String(expected), 'no_stream');
      if (error instanceof KurrentStreamNotFound || error instanceof KurrentStreamDeleted)
        throw new StreamNotFoundError(streamId);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }
}

function toStreamState(expected: ExpectedRevision): AppendStreamState {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'stream_exists') return STREAM_EXISTS;
  return expected;
}

function fromPosition(position: Position | undefined): GlobalPosition {
  return position ? { commit: position.commit, prepare: position.prepare } : START;
}

function matches(event: RecordedEvent, filter: EventFilter | undefined): boolean {
  return !filter?.eventTypes?.length || filter.eventTypes.includes(event.type);
}

function toRecorded(event: KurrentRecordedEvent): RecordedEvent {
  const {
    schemaVersion,
    $correlationId: _c,
    $causationId: _k,
    ...metadata
  } = (event.metadata ?? {}) as Record<string, unknown>;
  return {
    id: event.id,
    type: event.type,
    schemaVersion: typeof schemaVersion === 'number' ? schemaVersion : 1,
    data: event.data,
    metadata: metadata as unknown as EventMetadata,
    streamId: event.streamId,
    revision: event.revision,
    position: fromPosition(event.position),
    recordedAt: event.created,
  };
}
