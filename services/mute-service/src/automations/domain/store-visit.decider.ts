import type { Decider } from '../../write/decider';
import { invalid } from '../../unmute/domain/unmute.errors';

/**
 * "A customer who scanned in a store and did not buy within 48 h is muted for a period; a completed purchase
 * lifts that mute" (D101). One state per (tenant, customer); the 48 h wait and the mute's end are durable
 * timers whose firing is a command here, so a late or repeated firing decides the same.
 */
export type StoreVisitPolicy = {
  /** How long a visit waits for a purchase (default 48 h). */
  waitMs: number;
  /** How long a customer who did not buy stays muted. */
  muteMs: number;
};

export type StoreVisitEvent =
  | { type: 'StoreVisitRecorded'; visitId: string; storeId: string; at: number; checkAt: number }
  | { type: 'PurchaseRecorded'; purchaseId: string; at: number }
  | {
      type: 'CustomerMutedForNoPurchase';
      muteId: string;
      visitId: string;
      /** When the visit was (absent on mutes written before it was kept: then `from` stands in). */
      visitAt?: number;
      from: number;
      until: number;
    }
  | { type: 'AutomationMuteLifted'; muteId: string; at: number; reason: 'purchase' | 'expired' };

export type StoreVisitCommand =
  | { type: 'RecordStoreVisit'; visitId: string; storeId: string; at: number; policy: StoreVisitPolicy }
  | { type: 'RecordPurchase'; purchaseId: string; at: number }
  /** The wait's timer (due at checkAt). */
  | { type: 'CheckVisit'; visitId: string; now: number; policy: StoreVisitPolicy }
  /** The mute's timer (due at until). */
  | { type: 'ExpireAutomationMute'; muteId: string; now: number };

export type StoreVisitState = {
  visits: ReadonlyMap<string, { at: number; checkAt: number }>;
  /** Purchase ids seen (a re-delivered purchase is not a second one) and the latest purchase instant. */
  purchases: ReadonlySet<string>;
  lastPurchaseAt: number | null;
  /** `visitAt`: the visit that caused it; a purchase from then on answers it. */
  mute: { muteId: string; visitAt: number; from: number; until: number } | null;
};

export const initialStoreVisitState: StoreVisitState = {
  visits: new Map(),
  purchases: new Set(),
  lastPurchaseAt: null,
  mute: null,
};

export function evolveStoreVisit(state: StoreVisitState, event: StoreVisitEvent): StoreVisitState {
  switch (event.type) {
    case 'StoreVisitRecorded': {
      const visits = new Map(state.visits);
      visits.set(event.visitId, { at: event.at, checkAt: event.checkAt });
      return { ...state, visits };
    }
    case 'PurchaseRecorded': {
      // Visits up to the purchase are answered by it.
      const visits = new Map([...state.visits].filter(([, v]) => v.at > event.at));
      return {
        ...state,
        visits,
        purchases: new Set([...state.purchases, event.purchaseId]),
        lastPurchaseAt: Math.max(state.lastPurchaseAt ?? event.at, event.at),
      };
    }
    case 'CustomerMutedForNoPurchase': {
      const visits = new Map(state.visits);
      visits.delete(event.visitId);
      return {
        ...state,
        visits,
        mute: {
          muteId: event.muteId,
          visitAt: event.visitAt ?? event.from,
          from: event.from,
          until: event.until,
        },
      };
    }
    case 'AutomationMuteLifted':
      return state.mute?.muteId === event.muteId ? { ...state, mute: null } : state;
  }
}

function checkPolicy(policy: StoreVisitPolicy): void {
  if (!(policy.waitMs > 0)) throw invalid('waitHours', 'the wait for a purchase must be positive');
  if (!(policy.muteMs > 0)) throw invalid('muteHours', 'the mute must last a positive time');
}

export function decideStoreVisit(command: StoreVisitCommand, state: StoreVisitState): StoreVisitEvent[] {
  switch (command.type) {
    case 'RecordStoreVisit': {
      checkPolicy(command.policy);
      if (!command.visitId) throw invalid('visitId', 'a store visit has an id');
      if (state.visits.has(command.visitId)) return [];
      // A visit already answered by a later purchase (events arriving out of order) waits for nothing.
      if (state.lastPurchaseAt !== null && state.lastPurchaseAt >= command.at) return [];
      return [
        {
          type: 'StoreVisitRecorded',
          visitId: command.visitId,
          storeId: command.storeId,
          at: command.at,
          checkAt: command.at + command.policy.waitMs,
        },
      ];
    }
    case 'RecordPurchase': {
      if (!command.purchaseId) throw invalid('purchaseId', 'a purchase has an id');
      if (state.purchases.has(command.purchaseId)) return [];
      const events: StoreVisitEvent[] = [
        { type: 'PurchaseRecorded', purchaseId: command.purchaseId, at: command.at },
      ];
      // A purchase after the visit answers it, even one that arrives after the wait ended (a late commerce
      // event): the mute should not have been, so it is lifted, from no earlier than it began.
      if (state.mute && command.at >= state.mute.visitAt)
        events.push({
          type: 'AutomationMuteLifted',
          muteId: state.mute.muteId,
          at: Math.max(command.at, state.mute.from),
          reason: 'purchase',
        });
      return events;
    }
    case 'CheckVisit': {
      const visit = state.visits.get(command.visitId);
      if (!visit || command.now < visit.checkAt) return [];
      const until = visit.checkAt + command.policy.muteMs;
      // Already muted longer by an earlier visit: that mute stands.
      if (state.mute && state.mute.until >= until) return [];
      return [
        {
          type: 'CustomerMutedForNoPurchase',
          muteId: `visit:${command.visitId}`,
          visitId: command.visitId,
          visitAt: visit.at,
          from: visit.checkAt,
          until,
        },
      ];
    }
    case 'ExpireAutomationMute':
      if (!state.mute || state.mute.muteId !== command.muteId || command.now < state.mute.until) return [];
      return [
        { type: 'AutomationMuteLifted', muteId: command.muteId, at: state.mute.until, reason: 'expired' },
      ];
    default: {
      const never: never = command;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
}

export const storeVisitDecider = {
  decide: decideStoreVisit,
  evolve: evolveStoreVisit,
  initialState: initialStoreVisitState,
};

/** Is the customer muted by the automation at `at`? */
export function mutedAt(state: StoreVisitState, at: number): boolean {
  return state.mute !== null && state.mute.from <= at && at < state.mute.until;
}

const H = 3_600_000;

// ---- on the event store (D110): the customer's stream and the tenant's settings stream ----

type Stored<E extends { type: string }> = { type: E['type']; data: Omit<E, 'type'> };
/** An event as its stream holds it ({ type, data }), and back. */
export const storedStoreVisit = ({ type, ...data }: StoreVisitEvent): Stored<StoreVisitEvent> =>
  ({ type, data }) as Stored<StoreVisitEvent>;
export const fromStoredStoreVisit = (e: { type: string; data: unknown }): StoreVisitEvent =>
  ({ type: e.type, ...(e.data as object) }) as StoreVisitEvent;

export type CustomerStreamState = StoreVisitState & { revision: number };

/**
 * The customer's automation stream (muteCustomer-<tenant>.<customerId>) through MuteWriter: the decider
 * above, its events as the stream holds them. `onDecided` sees the events of the decision that was appended
 * (the last one, after a concurrent append made the writer decide again).
 */
export function customerStreamDecider(
  onDecided?: (events: StoreVisitEvent[]) => void,
): Decider<CustomerStreamState, StoreVisitCommand, Stored<StoreVisitEvent>> {
  return {
    initialState: () => ({ ...initialStoreVisitState, revision: -1 }),
    evolve: (state, event, revision) => ({
      ...evolveStoreVisit(state, fromStoredStoreVisit(event)),
      revision,
    }),
    decide: (command, state) => {
      const events = decideStoreVisit(command, state);
      onDecided?.(events);
      return events.map(storedStoreVisit);
    },
    revisionOf: (_command, state) => state.revision,
  };
}

export type AutomationSettingsEvent = {
  type: 'StoreVisitAutomationConfigured';
  data: { enabled: boolean; waitMs: number; muteMs: number; effect: 'silent' | 'hold' };
};
export type ConfigureAutomation = {
  type: 'ConfigureStoreVisitAutomation';
  enabled: boolean;
  waitHours: number;
  muteHours: number;
  effect: string;
};
export type AutomationSettingsState = {
  settings: AutomationSettingsEvent['data'] | null;
  revision: number;
};

/** The tenant's automation settings (muteAutomation-<tenant>.store-visit): the same settings again writes nothing. */
export const automationSettingsDecider: Decider<
  AutomationSettingsState,
  ConfigureAutomation,
  AutomationSettingsEvent
> = {
  initialState: () => ({ settings: null, revision: -1 }),
  evolve: (_state, event, revision) => ({ settings: event.data, revision }),
  decide(c, state) {
    if (!Number.isInteger(c.waitHours) || c.waitHours < 1 || c.waitHours > 24 * 30)
      throw invalid('waitHours', 'waitHours must be a whole number from 1 to 720');
    if (!Number.isInteger(c.muteHours) || c.muteHours < 1 || c.muteHours > 24 * 365)
      throw invalid('muteHours', 'muteHours must be a whole number from 1 to 8760');
    if (c.effect !== 'silent' && c.effect !== 'hold') throw invalid('effect', 'effect is silent or hold');
    const data: AutomationSettingsEvent['data'] = {
      enabled: c.enabled,
      waitMs: c.waitHours * H,
      muteMs: c.muteHours * H,
      effect: c.effect,
    };
    const s = state.settings;
    if (
      s &&
      s.enabled === data.enabled &&
      s.waitMs === data.waitMs &&
      s.muteMs === data.muteMs &&
      s.effect === data.effect
    )
      return [];
    return [{ type: 'StoreVisitAutomationConfigured', data }];
  },
  revisionOf: (_c, state) => state.revision,
};
