import { createHash, randomUUID } from 'node:crypto';
import {
  StreamNotFoundError,
  WrongExpectedRevisionError,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
} from '@tagguard/event-store';
import { REQUEST_KEY_CATEGORY } from '../streams';
import type { Decider, DomainEvent } from './decider';
import { MuteError } from './mute.errors';

/** Who writes and why: carried by every event's metadata. */
export interface WriteMeta {
  tenantId: string;
  actorId: string;
  correlationId?: string;
  traceparent?: string;
  tracestate?: string;
}

export interface WriteOptions {
  /** The revision the caller read of the object; another one is MUTE.WRONG_EXPECTED_REVISION (ABORTED). */
  expectedRevision?: number;
  /** The stream is most likely new (a message decided for the first time): append at no_stream without reading first. */
  fresh?: boolean;
}

export interface WriteOutcome<S = unknown> {
  /** The object's revision after the write (-1: it does not exist). */
  revision: number;
  /** Where the write landed (the consistency token); for a no-op where the stream's last event is. */
  position?: GlobalPosition;
  changed: boolean;
  state: S;
}

export interface Target<S, C, E extends DomainEvent> {
  stream: string;
  decider: Decider<S, C, E>;
}

type Loaded = { state: unknown; revision?: bigint; position?: GlobalPosition };
type Answer<R> = { requestHash: string; result?: R };

export const SCHEMA_VERSION = 1;
export const MAX_CONFLICT_RETRIES = 10;
const CACHE_SIZE = 10_000;
/** How long an idempotency key is remembered (tag-service's window, D29). */
export const IDEMPOTENCY_WINDOW_MS = 7 * 24 * 3_600_000;

/**
 * mute-service's one write path: load (cached state, then the stream's tail) → decide → append at the
 * revision decided on → on a concurrent append, load the tail and decide again. Every command — the rule
 * API, decisions from gRPC and from Kafka, and the release of held messages — goes through `write`.
 */
export class MuteWriter {
  private readonly cache = new Map<string, Loaded>();

  constructor(
    private readonly store: EventStore,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async write<S, C, E extends DomainEvent>(
    target: Target<S, C, E>,
    command: C,
    meta: WriteMeta,
    options: WriteOptions = {},
  ): Promise<WriteOutcome<S>> {
    for (let attempt = 0; ; attempt++) {
      const loaded =
        attempt === 0 && options.fresh && !this.cache.has(target.stream)
          ? { state: target.decider.initialState() }
          : await this.load(target);
      const state = loaded.state as S;
      const before = target.decider.revisionOf(command, state);
      if (options.expectedRevision !== undefined && options.expectedRevision !== before)
        throw new MuteError(
          'MUTE.WRONG_EXPECTED_REVISION',
          `the object is at revision ${before}, not ${options.expectedRevision}`,
          'expectedRevision',
        );
      const events = target.decider.decide(command, state);
      if (events.length === 0)
        return {
          revision: before,
          ...(loaded.position ? { position: loaded.position } : {}),
          changed: false,
          state,
        };
      try {
        const written = await this.store.append(
          target.stream,
          events.map((e) => ({
            id: randomUUID(),
            type: e.type,
            schemaVersion: SCHEMA_VERSION,
            data: e.data,
            metadata: this.metadata(meta),
          })),
          loaded.revision ?? 'no_stream',
        );
        let next = state;
        let revision = loaded.revision ?? -1n;
        for (const e of events) next = target.decider.evolve(next, e, Number(++revision));
        this.remember(target.stream, {
          state: next,
          revision: written.nextRevision,
          position: written.position,
        });
        return {
          revision: target.decider.revisionOf(command, next),
          position: written.position,
          changed: true,
          state: next,
        };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
      }
    }
  }

  /** The current state of a stream. */
  async state<S, C, E extends DomainEvent>(target: Target<S, C, E>): Promise<S> {
    return (await this.load(target)).state as S;
  }

  /**
   * Runs `write` once per idempotency key (tenant-wide): a retry with the key gets the first answer, the key
   * with another request is INVALID_ARGUMENT on idempotency_key. A refused request stores no answer (its key
   * stays free for the corrected request, D29). Two requests with one key at the very same time may both run
   * `write`; the first answer appended is the key's and both return it (the rule writes themselves are
   * guarded by the stream revision, so the second one's write is a no-op or refused).
   */
  async once<R>(meta: WriteMeta, key: string, request: unknown, write: () => Promise<R>): Promise<R> {
    if (!key) return write();
    const hash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const stream = `${REQUEST_KEY_CATEGORY}-${meta.tenantId}.${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
    const last = await this.last(stream);
    const fresh = last && this.clock().getTime() - last.recordedAt.getTime() <= IDEMPOTENCY_WINDOW_MS;
    if (fresh) {
      const answer = last.data as Answer<R>;
      if (answer.requestHash !== hash)
        throw new MuteError(
          'MUTE.INVALID_ARGUMENT',
          'was already used for a different request',
          'idempotencyKey',
        );
      return answer.result as R;
    }
    const result = await write();
    try {
      await this.store.append(
        stream,
        [
          {
            id: randomUUID(),
            type: 'RequestKeyAnswered',
            schemaVersion: SCHEMA_VERSION,
            data: { requestHash: hash, result },
            metadata: this.metadata(meta),
          },
        ],
        last ? last.revision : 'no_stream',
      );
      return result;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      const first = (await this.last(stream))!.data as Answer<R>;
      return first.requestHash === hash ? (first.result as R) : result;
    }
  }

  private metadata(meta: WriteMeta) {
    return {
      tenantId: meta.tenantId,
      actorId: meta.actorId,
      correlationId: meta.correlationId ?? randomUUID(),
      occurredAt: this.clock().toISOString(),
      ...(meta.traceparent ? { traceparent: meta.traceparent } : {}),
      ...(meta.tracestate ? { tracestate: meta.tracestate } : {}),
    };
  }

  private async load<S, C, E extends DomainEvent>(target: Target<S, C, E>): Promise<Loaded> {
    const { stream, decider } = target;
    const from = this.cache.get(stream) ?? { state: decider.initialState() };
    let history: RecordedEvent[];
    try {
      history = await this.store.readStream(
        stream,
        from.revision !== undefined ? { fromRevision: from.revision + 1n } : {},
      );
    } catch (error) {
      if (error instanceof StreamNotFoundError) return from;
      throw error;
    }
    if (history.length === 0) return from;
    const events = history.map((e) => ({
      event: { type: e.type, data: e.data } as E,
      revision: Number(e.revision),
    }));
    let state = from.state as S;
    if (decider.evolveAll) state = decider.evolveAll(state, events);
    else for (const e of events) state = decider.evolve(state, e.event, e.revision);
    const tail = history[history.length - 1]!;
    const loaded = { state, revision: tail.revision, position: tail.position };
    this.remember(stream, loaded);
    return loaded;
  }

  private remember(stream: string, loaded: Loaded): void {
    this.cache.delete(stream);
    this.cache.set(stream, loaded);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
  }

  private async last(stream: string): Promise<RecordedEvent | undefined> {
    try {
      return (await this.store.readStream(stream, { direction: 'backwards', maxCount: 1 }))[0];
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      throw error;
    }
  }
}
