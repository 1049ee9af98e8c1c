import { createHash, randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Principal } from '@tagguard/auth';
import {
  StreamNotFoundError,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type RecordedEvent,
} from '@tagguard/event-store';
import { derivedId } from '../streams';

export interface CommandContext {
  principal: Principal;
  /** A retry with the same key gets the first answer; the same key with another request is refused. */
  idempotencyKey?: string;
  correlationId?: string;
  causationId?: string;
  traceparent?: string;
  tracestate?: string;
}

export const SCHEMA_VERSION = 1;

export interface Loaded<State> {
  state: State;
  /** undefined: the stream does not exist yet. */
  revision?: bigint;
  /** Answers already given, by idempotency key. */
  answers: Map<string, { requestHash: string; result: unknown; event: RecordedEvent }>;
}

export function requestHash(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

/** Reads a stream (from where `from` stopped) into a state; remembers answers recorded with idempotency keys. */
export async function loadStream<State, Event>(
  store: EventStore,
  stream: string,
  initial: State,
  evolve: (s: State, e: Event) => State,
  from?: Loaded<State>,
): Promise<Loaded<State>> {
  let history: RecordedEvent[];
  try {
    history = await store.readStream(
      stream,
      from?.revision !== undefined ? { fromRevision: from.revision + 1n } : {},
    );
  } catch (error) {
    if (error instanceof StreamNotFoundError) return from ?? { state: initial, answers: new Map() };
    throw error;
  }
  let state = from?.state ?? initial;
  const answers = new Map(from?.answers ?? []);
  for (const e of history) {
    state = evolve(state, { type: e.type, data: e.data } as Event);
    const idem = e.metadata.idempotency;
    if (idem) answers.set(idem.key, { requestHash: idem.requestHash, result: idem.result, event: e });
  }
  return { state, revision: history[history.length - 1]?.revision ?? from?.revision, answers };
}

/** Appends decided events at the revision they were decided on, with the caller's metadata and answer. */
export function append(
  store: EventStore,
  stream: string,
  events: { type: string; data: unknown }[],
  revision: bigint | undefined,
  context: CommandContext,
  options: { answer?: { requestHash: string; result: unknown }; idSeed?: string } = {},
): Promise<AppendResult> {
  const metadata: EventMetadata = {
    tenantId: context.principal.tenantId,
    actorId: context.principal.actorId,
    correlationId: context.correlationId ?? randomUUID(),
    occurredAt: new Date().toISOString(),
    ...(context.causationId ? { causationId: context.causationId } : {}),
    ...(context.traceparent ? { traceparent: context.traceparent } : {}),
    ...(context.tracestate ? { tracestate: context.tracestate } : {}),
  };
  // With a key (or a seed from a process reacting to an event), ids are derived: a retry is the same append.
  const seed = context.idempotencyKey
    ? `key:${context.principal.tenantId}:${context.idempotencyKey}`
    : options.idSeed;
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

const governanceLog = new Logger('Governance');

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
