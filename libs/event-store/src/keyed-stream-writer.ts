import { createHash, randomUUID } from 'node:crypto';
import { comparePositions, type GlobalPosition, type RecordedEvent } from './envelope';
import { StreamNotFoundError, WrongExpectedRevisionError } from './errors';
import type { EventStore } from './event-store.port';

/** An event as a decider produces it and as the write path appends it. */
export type DomainEvent = { type: string; data: unknown };

/**
 * One feature's pure decision: `decide` answers a command on a state with the events to append (none
 * when the state already is as asked), `evolve` folds one event in. `revision` is the event's stream
 * revision, kept where an object's own revision differs from its stream's (a department tree).
 */
export interface Decider<State, Command, Event extends DomainEvent> {
  initialState(): State;
  evolve(state: State, event: Event, revision: number): State;
  decide(command: Command, state: State): Event[];
  /** The revision of the object the command addresses (-1: it does not exist), checked against expected_revision. */
  revisionOf(command: Command, state: State): number;
}

/** Who writes and why: carried by every event (an admin API's caller, or a source such as "wecom"). */
export interface WriteMeta {
  tenantId: string;
  actorId: string;
  correlationId?: string;
  traceparent?: string;
  tracestate?: string;
}

export interface WriteOptions {
  /** The revision the caller read of the object; another one is `<prefix>.WRONG_EXPECTED_REVISION`. */
  expectedRevision?: number;
  /**
   * The caller believes the stream does not exist yet (a reconcile creating what its mirror lacks): the
   * first attempt decides on the initial state without reading, and appends with `no_stream`; if the
   * stream exists after all, that append conflicts and the write loads and decides again.
   */
  fresh?: boolean;
}

export interface WriteOutcome {
  /** The object's revision after the write (-1: it does not exist). */
  revision: number;
  /**
   * Where the write landed, or for a write that changed nothing where the object's current state is (its
   * stream's last event): the consistency token. Undefined only when the object never existed.
   */
  position?: GlobalPosition;
  changed: boolean;
  eventsWritten: number;
}

export interface Target<S, C, E extends DomainEvent> {
  stream: string;
  decider: Decider<S, C, E>;
}

/** Write-side snapshots of states (plain JSON): a cold load reads the latest and the tail after it. */
export interface WriteSnapshotStore {
  latest(stream: string): Promise<{ state: unknown; revision: bigint } | undefined>;
  maybeSave(stream: string, revision: bigint, state: unknown): Promise<void>;
}

/** The writer's own refusals, given to the service's error factory as `<prefix>.<kind>`. */
export type WriterErrorKind = 'WRONG_EXPECTED_REVISION' | 'INVALID_ARGUMENT' | 'UNAVAILABLE';

export interface KeyedStreamWriterOptions {
  /** The error code prefix of the service ("PERMISSION", "DIRECTORY"). */
  codePrefix: string;
  /**
   * Builds the service's domain error: for the writer's own refusals (`<prefix>.<kind>`) and to rethrow
   * a refusal stored in a key's answer (its code as stored).
   */
  error: (code: string, message: string, field?: string) => Error;
  /** The category of the idempotency-key claim streams (`<category>-<tenant>.<sha256(key)>`). */
  requestKeyCategory: string;
  snapshots?: WriteSnapshotStore;
  clock?: () => Date;
  keys?: KeyLease;
}

/** `position`: where the stream's last event is, when known (a snapshot alone does not say). */
type Loaded = { state: unknown; revision?: bigint; position?: GlobalPosition };
type Answer<R> = {
  requestHash: string;
  result?: R;
  error?: { code: string; message: string; field?: string };
};

export const SCHEMA_VERSION = 1;
export const MAX_CONFLICT_RETRIES = 10;
/** Loaded states kept in memory (a tree stream is hot; the others are small). */
const CACHE_SIZE = 20_000;
/** How long an idempotency key is remembered, from its last use (tag-service's window, D29). */
export const IDEMPOTENCY_WINDOW_MS = 7 * 24 * 3_600_000;
/** A claim held by heartbeats (D51): how often, how long without one means "gone", how long a retry waits. */
export interface KeyLease {
  heartbeatMs: number;
  leaseMs: number;
  maxWaitMs: number;
}
export const KEY_LEASE: KeyLease = { heartbeatMs: 1_000, leaseMs: 5_000, maxWaitMs: 30_000 };

export const requestHash = (request: unknown): string =>
  createHash('sha256').update(JSON.stringify(request)).digest('hex');

/**
 * A service's one write path (D42, D51): load (cached state or write snapshot, then the stream's tail) →
 * decide → append at the revision decided on → on a concurrent append, load the tail and decide again;
 * and `once`, which runs a write once per idempotency key held by a leased claim stream. The services
 * differ only in their error class and code prefix, their key category and whether they keep snapshots.
 */
export class KeyedStreamWriter {
  private readonly cache = new Map<string, Loaded>();
  /** The last position this process wrote at: what a reader of the mirror waits for. */
  private written?: GlobalPosition;
  private readonly clock: () => Date;
  private readonly keys: KeyLease;
  private readonly snapshots?: WriteSnapshotStore;

  constructor(
    private readonly store: EventStore,
    private readonly options: KeyedStreamWriterOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.keys = options.keys ?? KEY_LEASE;
    this.snapshots = options.snapshots;
  }

  private refuse(kind: WriterErrorKind, message: string, field?: string): Error {
    return this.options.error(`${this.options.codePrefix}.${kind}`, message, field);
  }

  private reply<R>(answer: Answer<R>): R {
    if (answer.error) throw this.options.error(answer.error.code, answer.error.message, answer.error.field);
    return answer.result as R;
  }

  async write<S, C, E extends DomainEvent>(
    target: Target<S, C, E>,
    command: C,
    meta: WriteMeta,
    options: WriteOptions = {},
  ): Promise<WriteOutcome> {
    for (let attempt = 0; ; attempt++) {
      const loaded =
        attempt === 0 && options.fresh && !this.cache.has(target.stream)
          ? { state: target.decider.initialState() }
          : await this.load(target);
      const state = loaded.state as S;
      const before = target.decider.revisionOf(command, state);
      if (options.expectedRevision !== undefined && options.expectedRevision !== before)
        throw this.refuse(
          'WRONG_EXPECTED_REVISION',
          `the object is at revision ${before}, not ${options.expectedRevision}`,
          'expectedRevision',
        );
      const events = target.decider.decide(command, state);
      if (events.length === 0) {
        const position = loaded.position ?? (await this.positionOf(target.stream, loaded.revision));
        return { revision: before, ...(position ? { position } : {}), changed: false, eventsWritten: 0 };
      }
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
        if (!this.written || comparePositions(written.position, this.written) > 0)
          this.written = written.position;
        await this.snapshots?.maybeSave(target.stream, written.nextRevision, next);
        return {
          revision: target.decider.revisionOf(command, next),
          position: written.position,
          changed: true,
          eventsWritten: events.length,
        };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
      }
    }
  }

  /** Waits (at most `timeoutMs`, then goes on) until `view` shows every write of this process. */
  async settled(
    view: { waitFor(p: GlobalPosition, ms: number): Promise<void> },
    timeoutMs: number,
  ): Promise<void> {
    if (this.written) await view.waitFor(this.written, timeoutMs).catch(() => undefined);
  }

  /** The current state of a stream (the edge's guards read the department tree through it). */
  async state<S, C, E extends DomainEvent>(target: Target<S, C, E>): Promise<S> {
    return (await this.load(target)).state as S;
  }

  /**
   * Runs `write` once per idempotency key: the key is bound tenant-wide to the request it came with (one
   * small claim stream per key); a retry gets the first answer, another request with it is refused.
   * The answer is stored as JSON: `write` resolves to plain JSON. A request that fails (refused, or an
   * outage) writes no answer and frees its key, as in tag-service (D29): a corrected request may use it.
   *
   * The claimant holds the key by a lease (D51): while `write` runs it appends a heartbeat to the claim
   * stream every `heartbeatMs`. A second request with the key waits while the claim stream moves; it takes
   * the key over (a conditional append, so one taker only) only once the stream has stood still for
   * `leaseMs` (the claimant is gone) or the claimant released it after an outage. A long write (an
   * import) is therefore never run twice at once by a retry; a retry that waits `maxWaitMs` for a live claimant is
   * UNAVAILABLE (retry later). If a claimant that was taken over (a long pause) answers after all, the
   * answer already in the stream is the key's answer and it returns that one, never its own.
   */
  async once<R>(
    meta: WriteMeta,
    key: string | undefined,
    request: unknown,
    write: () => Promise<R>,
  ): Promise<R> {
    if (!key) return write();
    const hash = requestHash(request);
    const stream = `${this.options.requestKeyCategory}-${meta.tenantId}.${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
    const { leaseMs, maxWaitMs } = this.keys;
    const deadline = Date.now() + maxWaitMs;
    // The claim stream's revision as this waiter last saw it change, by this process's clock (no clock skew).
    let seen: { revision: bigint; at: number } | undefined;
    for (;;) {
      const latest = await this.last(stream);
      // A key used again after the window is a new request (as in tag-service, D29): a new claim.
      const expired =
        latest !== undefined && this.clock().getTime() - latest.recordedAt.getTime() > IDEMPOTENCY_WINDOW_MS;
      const last = expired ? undefined : latest;
      const data = last?.data as Answer<R> | undefined;
      // A released key (its request failed) is free for any request.
      if (data && last!.type !== 'RequestKeyReleased' && data.requestHash !== hash)
        throw this.refuse('INVALID_ARGUMENT', 'was already used for a different request', 'idempotencyKey');
      if (last?.type === 'RequestKeyAnswered') return this.reply(data!);
      if (last && last.type !== 'RequestKeyReleased') {
        // The first request with this key is running (its heartbeats move the stream) or died.
        const now = Date.now();
        if (!seen || seen.revision !== last.revision) seen = { revision: last.revision, at: now };
        if (now - seen.at < leaseMs) {
          if (now >= deadline)
            throw this.refuse(
              'UNAVAILABLE',
              'the first request with this idempotency key is still running; retry later',
            );
          await new Promise((r) => setTimeout(r, Math.min(50, leaseMs / 4)));
          continue;
        }
      }
      let mine: bigint;
      try {
        // One claimant only: the claim (or the takeover) is appended at the revision just read.
        mine = (
          await this.store.append(
            stream,
            [this.keyEvent('RequestKeyClaimed', { requestHash: hash }, meta)],
            latest ? latest.revision : 'no_stream',
          )
        ).nextRevision;
      } catch (error) {
        // Another request claimed the key first: read what it is.
        if (error instanceof WrongExpectedRevisionError) continue;
        throw error;
      }
      const heartbeat = this.heartbeat(stream, hash, meta, mine);
      let result: R;
      try {
        result = await write();
      } catch (error) {
        // A refused request leaves its key free, as in tag-service (D29, D52): the corrected request may
        // use it. An outage frees it too, so a retry runs it at once. A taker's answer still stands.
        mine = await heartbeat.stop();
        const answered = await this.release<R>(stream, hash, meta, mine);
        if (answered) return this.reply(answered);
        throw error;
      }
      mine = await heartbeat.stop();
      return this.reply(await this.answer<R>(stream, { requestHash: hash, result }, meta, mine));
    }
  }

  /** Frees a key whose request failed; if a taker answered meanwhile, that answer is the key's. */
  private async release<R>(
    stream: string,
    hash: string,
    meta: WriteMeta,
    at: bigint,
  ): Promise<Answer<R> | undefined> {
    try {
      await this.store.append(stream, [this.keyEvent('RequestKeyReleased', { requestHash: hash }, meta)], at);
      return undefined;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) return undefined;
    }
    const last = await this.last(stream);
    return last?.type === 'RequestKeyAnswered' ? (last.data as Answer<R>) : undefined;
  }

  /** Appends the answer unless one is there already; the key's answer is the first one in its stream. */
  private async answer<R>(
    stream: string,
    answer: Answer<R>,
    meta: WriteMeta,
    at: bigint,
  ): Promise<Answer<R>> {
    for (;;) {
      try {
        await this.store.append(stream, [this.keyEvent('RequestKeyAnswered', answer, meta)], at);
        return answer;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
      }
      // Taken over while this one ran: a taker's answer stands; a taker still running will find ours.
      const last = (await this.last(stream))!;
      if (last.type === 'RequestKeyAnswered') return last.data as Answer<R>;
      at = last.revision;
    }
  }

  /** Keeps a claim alive while its request runs; stops (and says where the stream is) once taken over. */
  private heartbeat(stream: string, hash: string, meta: WriteMeta, from: bigint) {
    let at = from;
    let inFlight: Promise<unknown> = Promise.resolve();
    let stopped = false;
    const timer = setInterval(() => {
      inFlight = inFlight.then(async () => {
        if (stopped) return;
        try {
          at = (
            await this.store.append(
              stream,
              [this.keyEvent('RequestKeyHeartbeat', { requestHash: hash }, meta)],
              at,
            )
          ).nextRevision;
        } catch {
          // Taken over, or the store is down: the lease lapses; the answer sorts out who stands.
          stopped = true;
          clearInterval(timer);
        }
      });
    }, this.keys.heartbeatMs);
    return {
      stop: async (): Promise<bigint> => {
        clearInterval(timer);
        await inFlight;
        stopped = true;
        return at;
      },
    };
  }

  private keyEvent(type: string, data: unknown, meta: WriteMeta) {
    return { id: randomUUID(), type, schemaVersion: SCHEMA_VERSION, data, metadata: this.metadata(meta) };
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
    const from = this.cache.get(stream) ??
      (await this.snapshots?.latest(stream)) ?? { state: decider.initialState() };
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
    let state = from.state as S;
    for (const e of history)
      state = decider.evolve(state, { type: e.type, data: e.data } as E, Number(e.revision));
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

  /** The position of a stream's last event (at `revision`), for a no-op's token; undefined if none. */
  private async positionOf(
    stream: string,
    revision: bigint | undefined,
  ): Promise<GlobalPosition | undefined> {
    if (revision === undefined) return undefined;
    return (await this.last(stream))?.position;
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
