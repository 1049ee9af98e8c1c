import type { DecideInput, MuteDecision } from './model';

/** Placeholder (engine I replaces it): notifies everything, by the default tier. */
export function decide(input: DecideInput): MuteDecision {
  return {
    outcome: 'NOTIFY',
    releaseAt: null,
    reasons: [],
    winner: { tier: 'default', id: null, why: 'placeholder engine' },
    throttles: [],
    unmuteId: null,
    timeZone: input.rules.settings.defaultTimeZone,
    calendarGaps: [],
    snapshot: input.rules.position,
  };
}
