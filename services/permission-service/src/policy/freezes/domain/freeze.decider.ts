import type { FreezeV1 } from '@tagguard/contracts';
import type { Decider } from '../../domain/decider';
import { idOf, instantOf, nameOf, sameValue } from '../../domain/policy-rules';

/** One source's freeze of an actor (manual: an admin's; tagService: tag-service's operator freeze). */
export type FreezeHold = { reason: string; until: string | null };
export type FreezeHolds = { manual: FreezeHold | null; tagService: FreezeHold | null };

export type FreezeEvent =
  /**
   * The actor's combined freeze changed (published as permission.freeze_changed.v1). `holds`: both sources
   * after it (absent in events written before D62: derived from `source`/`frozen`).
   */
  | {
      type: 'FreezeChanged';
      /** `sourceRevision`: the tag-service event that caused it (its revision), so a redelivery is a no-op. */
      data: FreezeV1 & { sourceRevision?: string; holds?: FreezeHolds };
    }
  /** A source's hold changed but the combined freeze did not (internal: never published). */
  | { type: 'FreezeHoldRecorded'; data: { actorId: string; holds: FreezeHolds; sourceRevision?: string } };

export type FreezeCommand =
  | { type: 'Freeze'; data: { actorId: string; reason: string; until: string | null } }
  | { type: 'Unfreeze'; data: { actorId: string; reason: string } }
  /** From tag-service's operator_frozen / operator_unfrozen events (their catalog revision). */
  | {
      type: 'ApplyTagServiceFreeze';
      data: { actorId: string; frozen: boolean; reason: string; sourceRevision: string };
    };

/**
 * One actor's freeze, one stream per actor (D62). Manual and tag-service freezes are held apart; the actor
 * is frozen while either holds. A manual unfreeze lifts both (an admin's override); tag-service's unfreeze
 * lifts only its own. The published FreezeV1 is one object per actor: while both hold it shows the manual
 * one (only an admin can lift it). tag-service's events apply once each, in order.
 */
export type FreezeState = {
  actorId: string | null;
  holds: FreezeHolds;
  /** The combined freeze as last published (null: never frozen). */
  freeze: FreezeV1 | null;
  tagServiceRevision: bigint;
  revision: number;
};

const NONE: FreezeHolds = { manual: null, tagService: null };

/** The later of two ends (null: no end). */
const longest = (a: string | null, b: string | null): string | null =>
  a === null || b === null ? null : Date.parse(a) >= Date.parse(b) ? a : b;

/** The combined freeze the holds give (null: not frozen). */
function shown(actorId: string, holds: FreezeHolds): FreezeV1 | null {
  // While both hold, the manual one shows (only an admin lifts it) but for as long as the longer of the two:
  // an expiring manual freeze must not end tag-service's open-ended one when it passes.
  if (holds.manual && holds.tagService)
    return {
      actorId,
      frozen: true,
      source: 'manual',
      reason: holds.manual.reason,
      until: longest(holds.manual.until, holds.tagService.until),
    };
  if (holds.manual) return { actorId, frozen: true, source: 'manual', ...holds.manual };
  if (holds.tagService) return { actorId, frozen: true, source: 'tag-service', ...holds.tagService };
  return null;
}

// Compared by value (sameValue is JSON): rebuilt in one key order, as jsonb reorders keys.
const hold = (h: FreezeHold | null): FreezeHold | null => (h ? { reason: h.reason, until: h.until } : null);
const holdsOf = (h: FreezeHolds): FreezeHolds => ({ manual: hold(h.manual), tagService: hold(h.tagService) });

/** Holds of an event written before they were recorded. */
function legacyHolds(f: FreezeV1): FreezeHolds {
  if (!f.frozen) return NONE;
  const hold = { reason: f.reason, until: f.until };
  return f.source === 'manual' ? { manual: hold, tagService: null } : { manual: null, tagService: hold };
}

/** The events that move `state` to `next` holds: FreezeChanged only if the combined freeze changes. */
function transition(
  state: FreezeState,
  actorId: string,
  next: FreezeHolds,
  unfreezeReason: string,
  sourceRevision?: string,
): FreezeEvent[] {
  const before = shown(actorId, state.holds);
  const after = shown(actorId, next);
  const rev = sourceRevision !== undefined ? { sourceRevision } : {};
  if (!sameValue(before, after)) {
    const data: FreezeV1 = after ?? {
      actorId,
      frozen: false,
      source: before!.source,
      reason: unfreezeReason,
      until: null,
    };
    return [{ type: 'FreezeChanged', data: { ...data, ...rev, holds: next } }];
  }
  if (sameValue(state.holds, next) && sourceRevision === undefined) return [];
  return [{ type: 'FreezeHoldRecorded', data: { actorId, holds: next, ...rev } }];
}

export const freeze: Decider<FreezeState, FreezeCommand, FreezeEvent> = {
  initialState: () => ({ actorId: null, holds: NONE, freeze: null, tagServiceRevision: -1n, revision: -1 }),

  evolve(state, event, revision) {
    const tagServiceRevision =
      event.data.sourceRevision !== undefined ? BigInt(event.data.sourceRevision) : state.tagServiceRevision;
    if (event.type === 'FreezeHoldRecorded')
      return {
        ...state,
        actorId: event.data.actorId,
        holds: holdsOf(event.data.holds),
        tagServiceRevision,
        revision,
      };
    const { sourceRevision: _r, holds, ...freeze } = event.data;
    return {
      actorId: freeze.actorId,
      holds: holdsOf(holds ?? legacyHolds(freeze)),
      freeze,
      tagServiceRevision,
      revision,
    };
  },

  decide(command, state) {
    switch (command.type) {
      case 'Freeze': {
        const d = command.data;
        const actorId = idOf(d.actorId, 'actorId');
        const hold = { reason: nameOf(d.reason, 'reason', 500), until: instantOf(d.until, 'until') };
        return transition(state, actorId, { ...state.holds, manual: hold }, '');
      }
      case 'Unfreeze': {
        const d = command.data;
        const actorId = idOf(d.actorId, 'actorId');
        const reason = (d.reason ?? '').trim() || 'unfrozen';
        return transition(state, actorId, NONE, reason);
      }
      case 'ApplyTagServiceFreeze': {
        const d = command.data;
        if (BigInt(d.sourceRevision) <= state.tagServiceRevision) return [];
        // The revision is recorded even when nothing changes (no replay later).
        const hold = d.frozen ? { reason: d.reason, until: null } : null;
        return transition(state, d.actorId, { ...state.holds, tagService: hold }, d.reason, d.sourceRevision);
      }
      default: {
        const unknown: never = command;
        throw new Error(`unknown command ${JSON.stringify(unknown)}`);
      }
    }
  },

  revisionOf: (_command, state) => state.revision,
};
