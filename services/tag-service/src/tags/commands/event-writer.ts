import { createHash, randomUUID } from 'node:crypto';
import type { Principal } from '@tagguard/auth';
import {
  StreamNotFoundError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
} from '@tagguard/event-store';
import { derivedId } from '../streams';
import { serviceLogger } from '../../service-logger';

export interface CommandContext {
  principal: Principal;
  /** A retry with the same key gets the first answer; the same key with another request is refused. */
  idempotencyKey?: string;
  /**
   * The key came from the caller (not derived by tag-service): it is bound tenant-wide to its request, so
   * the same key on another tag or another RPC is refused too (see KeyClaims).
   */
  callerKey?: boolean;
  correlationId?: string;
  causationId?: string;
  traceparent?: string;
  tracestate?: string;
}

export const SCHEMA_VERSION = 1;
/** Every write retries this often when another writer appended first (decided again on the new state). */
export const MAX_CONFLICT_RETRIES = 10;
/**
 * How long an idempotency key is remembered, counted from the recorded time of its answer. A key used
 * again after the window is a new request (docs/decisions.md D29).
 */
export const IDEMPOTENCY_WINDOW_MS = 7 * 24 * 3_600_000;

export interface Answer {
  requestHash: string;
  result: unknown;
  /** Where the answer was recorded: its position is the answer's consistency token. */
  position: RecordedEvent['position'];
  recordedAt: Date;
  /** The event that carried the answer (first of its append). */
  eventType: string;
  eventData: unknown;
}

export interface Loaded<State> {
  state: State;
  /** undefined: the stream does not exist yet. */
  revision?: bigint;
  /** Answers already given, by idempotency key (those older than the window are dropped). */
  answers: Map<string, Answer>;
  /** The last event folded in (what a snapshot of this state is taken at). */
  position?: GlobalPosition;
  recordedAt?: Date;
  /** The revision of the write-side snapshot this state was last saved as (or loaded from). */
  snapshotRevision?: bigint;
}

export function requestHash(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

export interface Fold<State, Event> {
  initial: () => State;
  evolve: (s: State, e: Event) => State;
  /** The same as evolving each event in turn, for a state whose per-event copy costs its size. */
  evolveAll?: (s: State, events: Event[]) => State;
  /** States with a codec are snapshotted by the write side (load = latest snapshot + tail). */
  codec?: { encode: (s: State) => unknown; decode: (json: unknown) => State };
}

/** Reads a stream (from where `from` stopped) into a state; remembers answers recorded with idempotency keys. */
export async function loadStream<State, Event>(
  store: EventStore,
  stream: string,
  fold: Fold<State, Event>,
  from?: Loaded<State>,
): Promise<Loaded<State>> {
  let history: RecordedEvent[];
  try {
    history = await store.readStream(
      stream,
      from?.revision !== undefined ? { fromRevision: from.revision + 1n } : {},
    );
  } catch (error) {
    if (error instanceof StreamNotFoundError) return from ?? { state: fold.initial(), answers: new Map() };
    throw error;
  }
  let state = from?.state ?? fold.initial();
  // Shared with the state it extends (answers only accumulate): copying it on every load would cost the
  // size of the idempotency window on every write.
  const answers = from?.answers ?? new Map<string, Answer>();
  const events = history.map((e) => ({ type: e.type, data: e.data }) as Event);
  if (fold.evolveAll && events.length > 0) state = fold.evolveAll(state, events);
  else for (const e of events) state = fold.evolve(state, e);
  for (const e of history) {
    const answer = answerOf(e);
    if (answer) answers.set(answer[0], answer[1]);
  }
  const last = history[history.length - 1];
  return {
    state,
    answers,
    ...(from?.snapshotRevision !== undefined ? { snapshotRevision: from.snapshotRevision } : {}),
    ...(last
      ? { revision: last.revision, position: last.position, recordedAt: last.recordedAt }
      : {
          ...(from?.revision !== undefined ? { revision: from.revision } : {}),
          ...(from?.position ? { position: from.position } : {}),
          ...(from?.recordedAt ? { recordedAt: from.recordedAt } : {}),
        }),
  };
}

export function answerOf(e: RecordedEvent): [string, Answer] | undefined {
  const idem = e.metadata.idempotency;
  if (!idem) return undefined;
  return [
    idem.key,
    {
      requestHash: idem.requestHash,
      result: idem.result,
      position: e.position,
      recordedAt: e.recordedAt,
      eventType: e.type,
      eventData: e.data,
    },
  ];
}

/** Drops answers recorded before the window: what keeps a stream's answer map from growing forever. */
export function pruneAnswers(answers: Map<string, Answer>, now: Date): void {
  const oldest = now.getTime() - IDEMPOTENCY_WINDOW_MS;
  for (const [key, answer] of answers) if (answer.recordedAt.getTime() < oldest) answers.delete(key);
}

export interface AppendOptions {
  answer?: { requestHash: string; result: unknown };
  idSeed?: string;
}

/** Appends decided events at the revision they were decided on, with the caller's metadata and answer. */
export function append(
  store: EventStore,
  stream: string,
  events: { type: string; data: unknown }[],
  revision: bigint | 'no_stream' | undefined,
  context: CommandContext,
  now: Date,
  options: AppendOptions = {},
): Promise<AppendResult> {
  const metadata: EventMetadata = {
    tenantId: context.principal.tenantId,
    actorId: context.principal.actorId,
    correlationId: context.correlationId ?? randomUUID(),
    occurredAt: now.toISOString(),
    ...(context.causationId ? { causationId: context.causationId } : {}),
    ...(context.traceparent ? { traceparent: context.traceparent } : {}),
    ...(context.tracestate ? { tracestate: context.tracestate } : {}),
  };
  // With a seed (derived from the key, or from an event a process reacts to), ids are derived: a retry is
  // the same append.
  const seed =
    options.idSeed ??
    (context.idempotencyKey ? `key:${context.principal.tenantId}:${context.idempotencyKey}` : undefined);
  const { answer } = options;
  const written = store.append(
    stream,
    events.map((e, i) => ({
      id: seed ? derivedId(seed, stream, String(i)) : randomUUID(),
      type: e.type,
      schemaVersion: SCHEMA_VERSION,
      data: e.data,
      metadata:
        i === 0 && context.idempotencyKey && answer
          ? { ...metadata, idempotency: { key: context.idempotencyKey, ...answer } }
          : metadata,
    })),
    revision === undefined ? 'no_stream' : revision,
  );
  written.then(
    () => warnOnGovernance(events, context),
    () => undefined,
  );
  return written;
}

const governanceLog = serviceLogger('Governance');

/** A critical sensitive operation or a frozen operator needs a person now: a warn line as it is written. */
function warnOnGovernance(events: { type: string; data: unknown }[], context: CommandContext): void {
  for (const { type, data } of events) {
    const d = data as Record<string, unknown>;
    if (type === 'SensitiveOperationDetected' && d['level'] === 'critical')
      governanceLog.warn({
        event: 'governance.critical_operation',
        tenantId: context.principal.tenantId,
        operationId: d['operationId'],
        operation: d['operation'],
        operator: d['actorId'],
        totalMembers: d['totalMembers'],
        msg: `critical sensitive operation: ${String(d['beforeState'])} by ${String(d['actorId'])}`,
      });
    if (type === 'OperatorFrozen')
      governanceLog.warn({
        event: 'governance.operator_frozen',
        tenantId: context.principal.tenantId,
        operator: d['actorId'],
        operationId: d['operationId'],
        msg: `operator ${String(d['actorId'])} frozen: ${String(d['reason'])}`,
      });
  }
}

/** Runs a load → decide → append attempt again while another writer appended first. */
export async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError) || n >= MAX_CONFLICT_RETRIES) throw error;
    }
  }
}
