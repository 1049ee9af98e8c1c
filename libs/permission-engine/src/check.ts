import type { CheckRequest, Decision, Snapshot } from './model';

/**
 * The four-level check (freeze first for writes, then department inheritance → role scope → tag
 * visibility → sensitive words), with double overlay and a trace. Pure; see README and D-P1.
 * TO BE IMPLEMENTED (engineer A): this placeholder denies everything so nothing is allowed by accident.
 */
export function check(snapshot: Snapshot, request: CheckRequest): Decision {
  return {
    allowed: false,
    maskedFields: [],
    levels: [
      { level: 'freeze', outcome: 'deny', decidedBy: [], reason: `not implemented (${request.action})` },
    ],
    overlay: null,
    snapshot: snapshot.policy.position,
  };
}
