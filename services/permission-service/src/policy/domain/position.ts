import type { GlobalPosition } from '@tagguard/event-store';
import { invalid } from './policy.errors';

// A store position as one decimal number, the `position` of the fat events and the consistency token of
// every write: commit · 2^64 + prepare. Both halves are below 2^64 (PostgreSQL: transaction id and row
// sequence; KurrentDB: log positions), so the mapping is lossless and keeps the store's order.
const SHIFT = 64n;
const LOW = (1n << SHIFT) - 1n;

export const encodePosition = (p: GlobalPosition): bigint => (p.commit << SHIFT) + p.prepare;
export const decodePosition = (n: bigint): GlobalPosition => ({ commit: n >> SHIFT, prepare: n & LOW });
export const positionString = (p: GlobalPosition): string => encodePosition(p).toString();

/** A consistency token as a caller sent it; `field` names it in the error. */
export function tokenOf(token: string, field: string): bigint {
  if (!/^\d{1,60}$/.test(token)) throw invalid(field, 'is not a consistency token returned by a write');
  return BigInt(token);
}
