import type { Metadata } from '@grpc/grpc-js';
import { authenticate, type TokenVerifier } from '@tagguard/auth';
import {
  comparePositions,
  positionFromToken,
  positionToToken,
  type CallerSessions,
} from '@tagguard/event-store';
import { currentTraceHeaders } from '@tagguard/telemetry';
import type { DirectoryAction, DirectoryAuthorizer } from './authorization/directory-authorizer';
import type { WriteMeta, WriteOutcome } from './commands/directory-writer';
import { DirectoryError, invalid } from './domain/directory.errors';
import type { DirectoryViewProjection } from './projections/directory-view/directory-view.projection';

// What every DirectoryService handler does at the edge, written once: authenticate, authorize (the only
// place that asks), map domain fields to proto field names, read revisions, cursors and consistency tokens.

export const DIRECTORY_EDGE = Symbol('DIRECTORY_EDGE');
const MAX_KEY_LENGTH = 128;
const CONSISTENCY_WAIT_MS = 5_000;

export interface EdgeDeps {
  verifier: TokenVerifier;
  authorizer: DirectoryAuthorizer;
  projection: DirectoryViewProjection;
  sessions: CallerSessions;
}

export async function caller(
  deps: EdgeDeps,
  metadata: Metadata | undefined,
  action: DirectoryAction,
  idempotencyKey = '',
): Promise<WriteMeta> {
  const principal = authenticate(metadata, deps.verifier);
  await deps.authorizer.authorize(principal, action);
  if (idempotencyKey.length > MAX_KEY_LENGTH)
    throw invalid('idempotencyKey', `must be at most ${MAX_KEY_LENGTH} characters`);
  return { tenantId: principal.tenantId, actorId: principal.actorId, ...currentTraceHeaders() };
}

/** camelCase domain path → the proto's snake_case path ("followers[0].remarkMobiles" → "followers[0].remark_mobiles"). */
export const protoField = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A domain error as the caller sees it: the field named as in the proto, under `prefix` (an import item). */
export function atField(error: unknown, prefix = ''): unknown {
  if (!(error instanceof DirectoryError)) return error;
  return new DirectoryError(
    error.code,
    error.message,
    error.field ? `${prefix}${protoField(error.field)}` : prefix.replace(/\.$/, '') || undefined,
  );
}

export async function edge<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw atField(error);
  }
}

/** int64 fields arrive as strings (undefined: not given). */
export function revisionField(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d{1,15}$/.test(value) || Number(value) < -1)
    throw invalid('expectedRevision', 'must be a revision (-1: must not exist yet)');
  return Number(value);
}

export function pageSizeField(value: number, fallback = 100, max = 1_000): number {
  const size = value === 0 ? fallback : value;
  if (!Number.isInteger(size) || size < 1 || size > max)
    throw invalid('pageSize', `must be between 0 and ${max}`);
  return size;
}

/** Opaque cursors: the sort key of the last row returned, base64url JSON (keyset paging: stable under inserts). */
export const encodeCursor = (key: (string | number)[]): string =>
  Buffer.from(JSON.stringify(key)).toString('base64url');

export function decodeCursor(token: string, arity: number): string[] | undefined {
  if (!token) return undefined;
  try {
    const key = JSON.parse(Buffer.from(token, 'base64url').toString()) as unknown;
    if (Array.isArray(key) && key.length === arity && key.every((k) => typeof k === 'string'))
      return key as string[];
  } catch {
    // the error below
  }
  throw invalid('pageToken', 'is not a token returned by this list');
}

export function page<T>(rows: T[], size: number, keyOf: (row: T) => string[]): { items: T[]; next: string } {
  const items = rows.slice(0, size);
  return { items, next: rows.length > size ? encodeCursor(keyOf(items[items.length - 1]!)) : '' };
}

/**
 * A read waits (up to CONSISTENCY_WAIT_MS, then UNAVAILABLE) until the directory view has passed the later
 * of the consistency token and the caller's own last write in this process: read-your-writes by default.
 */
export async function consistent(
  deps: EdgeDeps,
  token: string,
  reader: { tenantId: string; actorId: string },
): Promise<void> {
  let position = token ? positionFromToken(token) : undefined;
  if (token && !position) throw invalid('consistencyToken', 'is not a token returned by a write');
  const own = deps.sessions.lastWrite(reader.tenantId, reader.actorId);
  if (own && (!position || comparePositions(own, position) > 0)) position = own;
  if (position) await deps.projection.waitFor(position, CONSISTENCY_WAIT_MS);
}

export const writeResult = (o: WriteOutcome) => ({
  revision: String(o.revision),
  consistencyToken: o.position ? positionToToken(o.position) : '',
  changed: o.changed,
});
