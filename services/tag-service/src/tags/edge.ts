import type { Metadata } from '@grpc/grpc-js';
import { authenticate, type Principal, type TokenVerifier } from '@tagguard/auth';
import { comparePositions, positionFromToken, type CallerSessions } from '@tagguard/event-store';
import { currentTraceHeaders } from '@tagguard/telemetry';
import type { TagAction, TagAuthorizer, TagReader, TagTarget } from './authorization/tag-authorizer.port';
import type { CommandContext } from './commands/event-writer';
import { TagError } from './domain/tag.errors';
import type { CatalogViewProjection } from './projections/catalog-view/catalog-view.projection';

// What every tag-service gRPC handler does at the edge, written once: authenticate, authorize, read
// and validate request fields (naming the field on error), and wait for a consistency token or the
// caller's own last write.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CONSISTENCY_WAIT_MS = 5_000;
const MAX_KEY_LENGTH = 128;
/**
 * gRPC metadata key: a permission-service write's consistency token. The call is decided only once
 * tag-service's policy copy has folded it (at most CONSISTENCY_WAIT_MS, then UNAVAILABLE naming the key);
 * without it a call is decided on the copy as it is (D54, D55).
 */
export const POLICY_TOKEN_METADATA = 'tg-policy-token';

/** The one EdgeDeps every controller shares (provided by the tags module). */
export const TAG_EDGE = Symbol('TAG_EDGE');

export interface EdgeDeps {
  verifier: TokenVerifier;
  authorizer: TagAuthorizer;
  projection: CatalogViewProjection;
  sessions: CallerSessions;
  /** Waits for tag-service's copy of the policy to reach a permission-service token. */
  policies: { waitFor(tenantId: string, position: bigint, timeoutMs: number, key: string): Promise<void> };
}

/**
 * Authenticates and authorizes the call. `target` names the tag it is about (read from the request
 * after authentication, so a bad field is INVALID_ARGUMENT only for an authenticated caller).
 */
export async function caller(
  deps: EdgeDeps,
  metadata: Metadata | undefined,
  action: TagAction,
  idempotencyKey = '',
  target?: () => TagTarget,
): Promise<CommandContext> {
  const principal: Principal = authenticate(metadata, deps.verifier);
  const token = metadata?.get(POLICY_TOKEN_METADATA)[0];
  if (token !== undefined) {
    // A position is commit·2^64 + prepare (D57): one decimal of up to 39 digits.
    if (typeof token !== 'string' || !/^\d{1,39}$/.test(token))
      throw new TagError('TAG.INVALID_ARGUMENT', 'is not a permission-service token', POLICY_TOKEN_METADATA);
    await deps.policies.waitFor(
      principal.tenantId,
      BigInt(token),
      CONSISTENCY_WAIT_MS,
      POLICY_TOKEN_METADATA,
    );
  }
  await deps.authorizer.authorize(principal, action, target?.());
  if (idempotencyKey.length > MAX_KEY_LENGTH)
    throw new TagError(
      'TAG.INVALID_ARGUMENT',
      `must be at most ${MAX_KEY_LENGTH} characters`,
      'idempotency_key',
    );
  return {
    principal,
    ...(idempotencyKey ? { idempotencyKey, callerKey: true } : {}),
    ...currentTraceHeaders(),
  };
}

export function uuidField(value: string, field: string): string {
  if (!UUID.test(value)) throw new TagError('TAG.INVALID_ARGUMENT', 'must be a UUID', field);
  return value.toLowerCase();
}

export const optionalUuid = (value: string, field: string): string | null =>
  value ? uuidField(value, field) : null;

export function textField(value: string, field: string, max = 128): string {
  const text = value.trim();
  if (!text || text.length > max)
    throw new TagError('TAG.INVALID_ARGUMENT', `must be 1 to ${max} characters`, field);
  return text;
}

/** int64 fields arrive as strings; "0" is a real revision, so unset and 0 are the same: callers send the one they read. */
export function revisionField(value: string | undefined, field = 'expected_revision'): number | undefined {
  if (value === undefined) return undefined;
  // -1: nothing written yet (a tag's members before the first member write; the answer says -1 too).
  if (!/^(\d{1,9}|-1)$/.test(value))
    throw new TagError('TAG.INVALID_ARGUMENT', 'must be a revision (-1: nothing written yet)', field);
  return Number(value);
}

export function pageSizeField(value: number, fallback: number, max: number): number {
  const size = value === 0 ? fallback : value;
  if (!Number.isInteger(size) || size < 1 || size > max)
    throw new TagError('TAG.INVALID_ARGUMENT', `must be between 0 and ${max}`, 'page_size');
  return size;
}

/** Opaque cursors: the sort key of the last row returned, base64url JSON. */
export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * A list's cursor back from its token: `shape` names each key's kind (`text`, or an `instant` as
 * toISOString writes it). Anything else — another shape, a NUL, an object — is not a token this list
 * returned: INVALID_ARGUMENT on page_token, never a query that fails in PostgreSQL.
 */
export function decodeCursor(token: string, shape: readonly CursorKey[]): string[] | undefined {
  if (!token) return undefined;
  try {
    const key = JSON.parse(Buffer.from(token, 'base64url').toString()) as unknown;
    if (Array.isArray(key) && key.length === shape.length && key.every((v, i) => cursorKeyOk(v, shape[i]!)))
      return key as string[];
  } catch {
    // falls through to the error below
  }
  throw new TagError('TAG.INVALID_ARGUMENT', 'is not a token returned by this list', 'page_token');
}

export type CursorKey = 'text' | 'instant';

function cursorKeyOk(value: unknown, kind: CursorKey): boolean {
  if (typeof value !== 'string' || value.length > 512 || value.includes('\u0000')) return false;
  if (kind === 'text') return true;
  const at = new Date(value);
  return !Number.isNaN(at.getTime()) && at.toISOString() === value;
}

/** Rows of one page and the cursor of the next (fetch pageSize + 1 rows). */
export function page<T>(
  rows: T[],
  pageSize: number,
  keyOf: (row: T) => unknown[],
): { items: T[]; next: string } {
  const items = rows.slice(0, pageSize);
  return { items, next: rows.length > pageSize ? encodeCursor(keyOf(items[items.length - 1]!)) : '' };
}

/**
 * A read from the read model waits (up to 5 s, then UNAVAILABLE) until the projection has passed the
 * later of the consistency token and the caller's own last write in this process (read-your-writes).
 */
export async function consistent(deps: EdgeDeps, token: string, context: CommandContext): Promise<void> {
  let position = token ? positionFromToken(token) : undefined;
  if (token && !position)
    throw new TagError('TAG.INVALID_ARGUMENT', 'is not a token returned by a write', 'consistency_token');
  const own = deps.sessions.lastWrite(context.principal.tenantId, context.principal.actorId);
  if (own && (!position || comparePositions(own, position) > 0)) position = own;
  if (position) await deps.projection.waitFor(position, CONSISTENCY_WAIT_MS);
}

export const iso = (d: Date | null | undefined): string => (d ? d.toISOString() : '');

/** What this caller may see of the tenant's tags, on one policy snapshot (after `consistent`). */
export const readerFor = (deps: EdgeDeps, context: CommandContext): Promise<TagReader> =>
  deps.authorizer.reader(context.principal);
