import type { Metadata } from '@grpc/grpc-js';
import { authenticate, type Principal, type TokenVerifier } from '@tagguard/auth';
import type { Snapshot } from '@tagguard/permission-engine';
import { currentTraceHeaders } from '@tagguard/telemetry';
import type { PolicyAction, PolicyAuthorizer } from './authorization/policy-authorizer';
import type { WriteMeta, WriteOutcome } from './commands/policy-writer';
import { invalid, PolicyError } from './domain/policy.errors';
import { positionString, tokenOf } from './domain/position';
import type { PositionWaiter } from './domain/position-waiter';

// What every PolicyService and CheckService handler does at the edge, written once: authenticate,
// authorize (the only place that asks), map domain fields to proto field names, read revisions, cursors
// and consistency tokens.

export const POLICY_EDGE = Symbol('POLICY_EDGE');
const MAX_KEY_LENGTH = 128;
/** How long a read or a check waits for a consistency token before UNAVAILABLE (docs/architecture.md). */
export const CONSISTENCY_WAIT_MS = 5_000;

export interface EdgeDeps {
  verifier: TokenVerifier;
  authorizer: PolicyAuthorizer;
  /** The tenant's current snapshot (policy + local copies), for the role-based authorization. */
  snapshot(tenantId: string): Promise<Snapshot>;
}

export async function caller(
  deps: EdgeDeps,
  metadata: Metadata | undefined,
  action: PolicyAction | undefined,
  idempotencyKey = '',
): Promise<WriteMeta & { principal: Principal }> {
  const principal = authenticate(metadata, deps.verifier);
  if (action) await authorized(deps, principal, action);
  if (idempotencyKey.length > MAX_KEY_LENGTH)
    throw invalid('idempotencyKey', `must be at most ${MAX_KEY_LENGTH} characters`);
  return { tenantId: principal.tenantId, actorId: principal.actorId, principal, ...currentTraceHeaders() };
}

/** The one authorization question, for a caller already authenticated (a snapshot only when a role must be looked up). */
export async function authorized(deps: EdgeDeps, principal: Principal, action: PolicyAction): Promise<void> {
  if (deps.authorizer.grantsByToken(principal, action)) return;
  const snapshot = await deps.snapshot(principal.tenantId);
  deps.authorizer.authorize(principal, action, () => snapshot);
}

/** camelCase domain path → the proto's snake_case path ("subject.department.departmentId" → "subject.department.department_id"). */
export const protoField = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export async function edge<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof PolicyError) || !error.field) throw error;
    throw new PolicyError(error.code, error.message, protoField(error.field));
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
export const encodeCursor = (key: string): string => Buffer.from(JSON.stringify([key])).toString('base64url');

export function decodeCursor(token: string): string | undefined {
  if (!token) return undefined;
  try {
    const key = JSON.parse(Buffer.from(token, 'base64url').toString()) as unknown;
    // A NUL would reach PostgreSQL (text refuses it: INTERNAL); nothing this list returns holds one.
    if (Array.isArray(key) && key.length === 1 && typeof key[0] === 'string' && !key[0].includes('\u0000'))
      return key[0];
  } catch {
    // the error below
  }
  throw invalid('pageToken', 'is not a token returned by this list');
}

/** Waits (bounded) until `fold` has passed the token; nothing to wait for without one. */
export async function fresh(fold: PositionWaiter, token: string, field: string): Promise<void> {
  if (!token) return;
  await fold.waitFor(tokenOf(token, field), CONSISTENCY_WAIT_MS, field);
}

export const writeResult = (o: WriteOutcome) => ({
  revision: String(o.revision),
  consistencyToken: o.position ? positionString(o.position) : '',
  changed: o.changed,
});
