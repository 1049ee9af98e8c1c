/** Who did it, for which tenant, as part of what, and under which trace: carried by every event. */
export interface EventMetadata {
  tenantId: string;
  actorId: string;
  correlationId: string;
  causationId?: string;
  /** W3C trace context of the command that produced the event. */
  traceparent?: string;
  tracestate?: string;
  /** ISO-8601 time the command was decided. */
  occurredAt: string;
  /**
   * On the first event of a command sent with an idempotency key: the key, a hash of the request it came
   * with, and the answer given, so that a retry gets the same answer from the stream alone.
   */
  idempotency?: { key: string; requestHash: string; result: unknown };
}

/** One event as a service hands it to the store. */
export interface EventEnvelope<Type extends string = string, Data = unknown> {
  id: string;
  type: Type;
  schemaVersion: number;
  data: Data;
  metadata: EventMetadata;
}

/**
 * A place in the store's global order. Compared as (commit, prepare): KurrentDB's log positions, or in
 * PostgreSQL the writing transaction's id and the row's sequence number.
 */
export interface GlobalPosition {
  commit: bigint;
  prepare: bigint;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> extends EventEnvelope<
  Type,
  Data
> {
  streamId: string;
  /** 0-based position within its stream. */
  revision: bigint;
  position: GlobalPosition;
  recordedAt: Date;
}

export const START: GlobalPosition = Object.freeze({ commit: 0n, prepare: 0n });

export function comparePositions(a: GlobalPosition, b: GlobalPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** Positions cross process boundaries (gRPC consistency tokens, checkpoints) as "commit/prepare". */
export function positionToToken(position: GlobalPosition): string {
  return `${position.commit}/${position.prepare}`;
}

export function positionFromToken(token: string): GlobalPosition | undefined {
  const match = /^(\d{1,20})\/(\d{1,20})$/.exec(token);
  return match ? { commit: BigInt(match[1]!), prepare: BigInt(match[2]!) } : undefined;
}
