import type { TemporaryUnmute } from '@tagguard/mute-engine';

/**
 * The temporary unmutes a decision passes to the engine. The seam for the temporary-unmute feature (durable
 * timers, reports): until it provides its own, none are in force.
 */
export interface UnmuteSource {
  active(tenantId: string, at: number): readonly TemporaryUnmute[];
}

export const UNMUTE_SOURCE = Symbol('UNMUTE_SOURCE');

export const NO_UNMUTES: UnmuteSource = { active: () => [] };
