import type { FreezeV1 } from '@tagguard/contracts';
import type { Decider } from '../../domain/decider';
import { idOf, instantOf, nameOf, sameValue } from '../../domain/policy-rules';

export type FreezeEvent = {
  type: 'FreezeChanged';
  /** `sourceRevision`: the tag-service event that caused it (its revision), so a redelivery is a no-op. */
  data: FreezeV1 & { sourceRevision?: string };
};

export type FreezeCommand =
  | { type: 'Freeze'; data: { actorId: string; reason: string; until: string | null } }
  | { type: 'Unfreeze'; data: { actorId: string; reason: string } }
  /** From tag-service's operator_frozen / operator_unfrozen events (their catalog revision). */
  | {
      type: 'ApplyTagServiceFreeze';
      data: { actorId: string; frozen: boolean; reason: string; sourceRevision: string };
    };

/**
 * One actor's freeze, one stream per actor. A manual unfreeze lifts any freeze; tag-service's unfreeze
 * lifts only its own (an admin's manual freeze stays). tag-service's events apply once each, in order.
 */
export type FreezeState = { freeze: FreezeV1 | null; tagServiceRevision: bigint; revision: number };

export const freeze: Decider<FreezeState, FreezeCommand, FreezeEvent> = {
  initialState: () => ({ freeze: null, tagServiceRevision: -1n, revision: -1 }),

  evolve(state, event, revision) {
    const { sourceRevision, ...freeze } = event.data;
    return {
      freeze,
      tagServiceRevision: sourceRevision !== undefined ? BigInt(sourceRevision) : state.tagServiceRevision,
      revision,
    };
  },

  decide(command, state) {
    const current = state.freeze?.frozen ? state.freeze : null;
    switch (command.type) {
      case 'Freeze': {
        const d = command.data;
        const next: FreezeV1 = {
          actorId: idOf(d.actorId, 'actorId'),
          frozen: true,
          source: 'manual',
          reason: nameOf(d.reason, 'reason', 500),
          until: instantOf(d.until, 'until'),
        };
        return sameValue(current, next) ? [] : [{ type: 'FreezeChanged', data: next }];
      }
      case 'Unfreeze': {
        const d = command.data;
        if (!current) return [];
        const reason = (d.reason ?? '').trim() || 'unfrozen';
        return [
          {
            type: 'FreezeChanged',
            data: { ...current, actorId: idOf(d.actorId, 'actorId'), frozen: false, reason, until: null },
          },
        ];
      }
      case 'ApplyTagServiceFreeze': {
        const d = command.data;
        if (BigInt(d.sourceRevision) <= state.tagServiceRevision) return [];
        const sourceRevision = d.sourceRevision;
        if (d.frozen)
          return [
            {
              type: 'FreezeChanged',
              data: {
                actorId: d.actorId,
                frozen: true,
                source: 'tag-service',
                reason: d.reason,
                until: null,
                sourceRevision,
              },
            },
          ];
        // Only tag-service's own freeze is lifted by it; the revision is still recorded (no replay later).
        const lifts = current?.source === 'tag-service';
        return [
          {
            type: 'FreezeChanged',
            data: lifts
              ? { ...current, frozen: false, reason: d.reason, until: null, sourceRevision }
              : {
                  ...(state.freeze ?? { actorId: d.actorId, source: 'tag-service', reason: '', until: null }),
                  frozen: current !== null,
                  sourceRevision,
                },
          },
        ];
      }
      default: {
        const unknown: never = command;
        throw new Error(`unknown command ${JSON.stringify(unknown)}`);
      }
    }
  },

  revisionOf: (_command, state) => (state.freeze ? state.revision : -1),
};
