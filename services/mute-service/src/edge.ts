import type { Metadata } from '@grpc/grpc-js';
import { authenticate, type TokenVerifier } from '@tagguard/auth';
import { currentTraceHeaders } from '@tagguard/telemetry';
import type { WriteMeta, WriteOutcome } from './write/mute-writer';
import { invalid, MuteError } from './write/mute.errors';
import { positionString } from './write/position';

// What every RuleService and DecideService handler does at the edge, written once: authenticate, authorize
// (the only place that asks), map domain fields to proto field names, read revisions.

export const MUTE_EDGE = Symbol('MUTE_EDGE');
const MAX_KEY_LENGTH = 128;

/** rules.manage: write or read the tenant's mute rules; decide: ask for a message's decision. */
export type MuteAction = 'rules.manage' | 'decide';
export const TENANT_ADMIN = 'tenant_admin';
/** Token roles: an operator of the mute rules, and a platform caller (the messaging gateway) that decides. */
export const MUTE_MANAGE = 'mute.manage';
export const MUTE_DECIDE = 'mute.decide';

/**
 * gRPC metadata key of a decision call: a mute-service write's consistency token (a rule change). The call is
 * decided only once this instance's memory has folded it (at most READ_YOUR_WRITE_MS, then UNAVAILABLE naming
 * the key); without it a decision reads the memory as it is. Metadata, as tag-service's `tg-policy-token` (D55).
 */
export const CONSISTENCY_TOKEN_METADATA = 'tg-consistency-token';

/** The call's consistency token, if it passed one; INVALID_ARGUMENT naming the key when it is not a position. */
export function consistencyToken(metadata: Metadata | undefined): bigint | undefined {
  const token = metadata?.get(CONSISTENCY_TOKEN_METADATA)[0];
  if (token === undefined) return undefined;
  // A position is commit·2^64 + prepare: one decimal of up to 39 digits.
  if (typeof token !== 'string' || !/^\d{1,39}$/.test(token))
    throw invalid(CONSISTENCY_TOKEN_METADATA, "must be a consistency token (a write's consistency_token)");
  return BigInt(token);
}

export interface EdgeDeps {
  verifier: TokenVerifier;
}

export function caller(
  deps: EdgeDeps,
  metadata: Metadata | undefined,
  action: MuteAction,
  idempotencyKey = '',
): WriteMeta {
  const principal = authenticate(metadata, deps.verifier);
  const granted =
    principal.roles.includes(TENANT_ADMIN) ||
    principal.roles.includes(action === 'decide' ? MUTE_DECIDE : MUTE_MANAGE);
  if (!granted)
    throw new MuteError(
      'MUTE.PERMISSION_DENIED',
      `${action} needs the ${TENANT_ADMIN} or ${action === 'decide' ? MUTE_DECIDE : MUTE_MANAGE} role`,
    );
  if (idempotencyKey.length > MAX_KEY_LENGTH)
    throw invalid('idempotencyKey', `must be at most ${MAX_KEY_LENGTH} characters`);
  return { tenantId: principal.tenantId, actorId: principal.actorId, ...currentTraceHeaders() };
}

/**
 * The domain's field as the caller names it: the proto's snake_case path ("rule.schedule.timeZone" →
 * "rule.schedule.time_zone"), or for consistencyToken the metadata key it came in.
 */
export const protoField = (field: string): string =>
  field === 'consistencyToken'
    ? CONSISTENCY_TOKEN_METADATA
    : field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export async function edge<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof MuteError) || !error.field) throw error;
    throw new MuteError(error.code, error.message, protoField(error.field));
  }
}

/** int64 fields arrive as strings (undefined or null: not given). */
export function revisionField(value: string | null | undefined): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!/^-?\d{1,15}$/.test(value) || Number(value) < -1)
    throw invalid('expectedRevision', 'must be a revision (-1: must not exist yet)');
  return Number(value);
}

export const writeResult = (o: WriteOutcome) => ({
  revision: String(o.revision),
  consistencyToken: o.position ? positionString(o.position) : '',
  changed: o.changed,
});
