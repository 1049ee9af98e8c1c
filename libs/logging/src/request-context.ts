import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

/** What every log line of one request (a gRPC call, a handled event) carries, whether or not tracing exports. */
export interface RequestContext {
  /** W3C trace id, 32 hex digits: the caller's (traceparent) or a fresh one. */
  traceId: string;
  /** This request's own span id, 16 hex digits. */
  spanId: string;
  /** W3C trace flags, two hex digits ("01": sampled). */
  traceFlags: string;
  tenantId?: string;
  actorId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
// Ids come from a pool of random bytes refilled 4 KiB at a time (as crypto.randomUUID caches its entropy):
// one randomBytes call per request was a visible share of a cheap RPC's CPU.
let pool = Buffer.alloc(0);
let used = 0;
const hex = (bytes: number): string => {
  if (used + bytes > pool.length) {
    pool = randomBytes(4096);
    used = 0;
  }
  used += bytes;
  return pool.toString('hex', used - bytes, used);
};

/**
 * The context of a request that continues `traceparent` when it is a valid W3C header (a new span in the
 * caller's trace), and starts a fresh trace otherwise. `traceId`, when given, wins (e.g. the active
 * OpenTelemetry span's, so logs and exported spans agree).
 */
export function newRequestContext(
  from: { traceparent?: string | undefined; traceId?: string | undefined } = {},
): RequestContext {
  const match = from.traceparent ? TRACEPARENT.exec(from.traceparent.trim().toLowerCase()) : null;
  const valid =
    match &&
    match[1] !== 'ff' &&
    !/^0+$/.test(match[2]!) &&
    !/^0+$/.test(match[3]!) &&
    (match[1] !== '00' || !match[5]);
  const traceId = from.traceId && !/^0+$/.test(from.traceId) ? from.traceId : valid ? match[2]! : hex(16);
  return { traceId, spanId: hex(8), traceFlags: valid ? match[4]! : '01' };
}

/** Runs `fn` (and everything it awaits) inside `context`. */
export function runInRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Adds who is calling once it is known (after authentication); later log lines of the request carry it. */
export function annotateRequest(fields: { tenantId?: string; actorId?: string }): void {
  const store = storage.getStore();
  if (store) Object.assign(store, fields);
}

/** The request's W3C traceparent, for events written while handling it. */
export function requestTraceparent(): string | undefined {
  const c = storage.getStore();
  return c ? `00-${c.traceId}-${c.spanId}-${c.traceFlags}` : undefined;
}

/** The logger mixin's fields: trace_id/span_id (OpenTelemetry's names) and tenantId/actorId once known. */
export function requestLogFields(c: RequestContext | undefined = storage.getStore()): Record<string, string> {
  if (!c) return {};
  return {
    trace_id: c.traceId,
    span_id: c.spanId,
    ...(c.tenantId ? { tenantId: c.tenantId } : {}),
    ...(c.actorId ? { actorId: c.actorId } : {}),
  };
}
