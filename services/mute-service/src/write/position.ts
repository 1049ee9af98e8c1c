import type { GlobalPosition } from '@tagguard/event-store';

// A store position as one decimal number (commit · 2^64 + prepare), as permission-service writes it: the
// `position` of the fat events, the consistency token of a write and the `snapshot` of a decision.
const SHIFT = 64n;

export const encodePosition = (p: GlobalPosition): bigint => (p.commit << SHIFT) + p.prepare;
export const positionString = (p: GlobalPosition): string => encodePosition(p).toString();
