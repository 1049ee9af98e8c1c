import type { EventStore, GlobalPosition, RecordedEvent, Subscription } from '@tagguard/event-store';
import { defaultSettings, type MuteRuleSet, type ThrottleCounts } from '@tagguard/mute-engine';
import type { ComponentHandle } from '@tagguard/telemetry';
import type { RecordedDecision } from '../messages/domain/message.decider';
import { rulesDecider, type RulesEvent, type RulesState } from '../rules/domain/rules.decider';
import { reopenDelayMs } from '../projections/read-model-feed';
import { MESSAGE_CATEGORY, MUTE_CATEGORIES, RULES_CATEGORY } from '../streams';
import { encodePosition } from '../write/position';

export const MUTE_MEMORY = 'mute-service.rules-memory';
const DAY_MS = 86_400_000;

/** The throttle counters: the NOTIFY decisions that listed throttles, by recipient and key, one per message. */
export class DecisionThrottleCounts implements ThrottleCounts {
  private readonly alertsBy = new Map<string, Map<string, number>>();

  /** Held messages' throttle keys, until their release (a digest's alert counts under them). */
  private readonly held = new Map<string, { recipientId: string; keys: string[] }>();

  record(decision: RecordedDecision): void {
    const { recipientId, messageId, sentAt } = decision.message;
    if (decision.outcome === 'HOLD' && decision.throttles.length > 0)
      this.held.set(messageId, { recipientId, keys: decision.throttles.map((t) => t.key) });
    if (decision.outcome !== 'NOTIFY') return;
    for (const t of decision.throttles) this.count(`${recipientId}|${t.key}`, messageId, sentAt);
  }

  /** A released digest alerts once (D69, D98: on its first message): one alert under that message's keys. */
  recordRelease(delivery: {
    messageId: string;
    alert: boolean;
    deliveredAt: number;
    releaseId: string | null;
  }): void {
    const held = this.held.get(delivery.messageId);
    if (!held || delivery.releaseId === null) return;
    this.held.delete(delivery.messageId);
    if (!delivery.alert) return;
    for (const k of held.keys)
      this.count(`${held.recipientId}|${k}`, `release:${delivery.releaseId}`, delivery.deliveredAt);
  }

  private count(key: string, id: string, at: number): void {
    let byId = this.alertsBy.get(key);
    if (!byId) this.alertsBy.set(key, (byId = new Map()));
    byId.set(id, at);
    // A day is the longest throttle period: older alerts never count again.
    if (byId.size > 1_000) for (const [old, when] of byId) if (when < at - 2 * DAY_MS) byId.delete(old);
  }

  alerts(recipientId: string, key: string, periodStart: number): number {
    let n = 0;
    for (const at of this.alertsBy.get(`${recipientId}|${key}`)?.values() ?? []) if (at >= periodStart) n++;
    return n;
  }
}

type Tenant = { state: RulesState; ruleSet?: MuteRuleSet; position: bigint };

/** The engine's MuteRuleSet of a folded rules state (a new object: the engine caches its index per object). */
export function ruleSetOf(tenantId: string, state: RulesState, position: bigint): MuteRuleSet {
  const rules = new Map([...state.rules].filter(([, h]) => !h.removed).map(([id, h]) => [id, h.value]));
  const greenChannels = new Map(
    [...state.channels].filter(([, h]) => !h.removed).map(([id, h]) => [id, h.value]),
  );
  const timeZones = new Map(
    [...state.timeZones].filter(([, h]) => !h.removed).map(([id, h]) => [id, h.value]),
  );
  return { tenantId, rules, greenChannels, settings: { ...defaultSettings(), timeZones }, position };
}

/**
 * What every decision reads of mute-service's own events: each tenant's rules (folded with the rules
 * decider's own evolve, so the write side and the decisions cannot differ) and the throttle counters
 * (from the recorded decisions). Every instance folds everything from the start (no lease: each one
 * decides); `waitFor` lets a caller wait for a write's consistency token.
 *
 * Once started, a failed fold (an event it cannot apply, a handler error) does not end the memory (D113):
 * it reopens after the last event it applied, with the feeds' capped backoff, `retrying` on its component
 * (one warn line per failure) until the reopened subscription has caught up (`running`, one info line).
 * Meanwhile `position` stays where the fold stopped, so a decision asked to be at least as fresh as a later
 * token waits for it (and answers UNAVAILABLE after its bound), never from the memory that is behind.
 */
export class MuteMemory {
  private readonly tenants = new Map<string, Tenant>();
  readonly throttle = new DecisionThrottleCounts();
  private subscription?: Subscription;
  private applied?: GlobalPosition;
  private folded = 0n;
  private waiters: { at: bigint; resolve: () => void }[] = [];
  private stopped = false;
  private failures = 0;
  private reopen?: NodeJS.Timeout;

  constructor(
    private readonly store: EventStore,
    private readonly component?: ComponentHandle,
  ) {}

  start(): Promise<void> {
    this.stopped = false;
    this.component?.set('starting');
    return new Promise((resolve, reject) => this.open({ resolve, reject }));
  }

  /** Subscribes after the last event applied; `starting` settles the start (a failure before it fails it). */
  private open(starting?: { resolve: () => void; reject: (error: Error) => void }): void {
    let pending = starting;
    let caughtUp = false;
    this.subscription = this.store.subscribe({
      ...(this.applied ? { after: this.applied } : {}),
      filter: { categories: MUTE_CATEGORIES },
      batchSize: 1_000,
      onEvents: async (events) => {
        // Rules events are queued per tenant and folded once for the batch (foldRules); the position moves
        // past the events taken only once their rules are folded, so a failed fold reopens before them
        // (replaying the throttle events taken meanwhile is harmless: they count by message id).
        const queued = new Map<string, RecordedEvent[]>();
        let taken = 0;
        try {
          for (const e of events) {
            this.apply(e, queued);
            taken += 1;
          }
        } finally {
          try {
            this.foldRules(queued);
            if (taken > 0) this.applied = events[taken - 1]!.position;
          } finally {
            if (this.applied) this.advance(encodePosition(this.applied));
          }
        }
      },
      onCaughtUp: () => {
        caughtUp = true;
        this.failures = 0;
        this.component?.set('running');
        pending?.resolve();
        pending = undefined;
      },
      onError: (error) => {
        if (this.stopped) return;
        if (pending) {
          // Not started yet: the start fails (and the service with it), as a feed's does.
          this.component?.set('failed', error);
          pending.reject(error as Error);
          pending = undefined;
          return;
        }
        this.failures += 1;
        const delayMs = reopenDelayMs(this.failures);
        this.component?.retrying(error, this.failures, delayMs);
        this.reopen = setTimeout(() => {
          if (!this.stopped) this.open();
        }, delayMs);
        this.reopen.unref();
      },
      onRetry: (error, attempt, delayMs) => this.component?.retrying(error, attempt, delayMs),
      // Reads work again; healthy only once this subscription has also caught up.
      onRecovered: () => {
        if (caughtUp) this.component?.set('running');
      },
    });
  }

  /** Takes one event: a rules event is queued for its tenant (foldRules), a message event counted at once. */
  private apply(e: RecordedEvent, queued: Map<string, RecordedEvent[]>): void {
    const category = e.streamId.slice(0, e.streamId.indexOf('-'));
    if (category === RULES_CATEGORY) {
      const tenantId = e.metadata.tenantId;
      let run = queued.get(tenantId);
      if (!run) queued.set(tenantId, (run = []));
      run.push(e);
    } else if (category === MESSAGE_CATEGORY && e.type === 'MessageDelivered')
      this.throttle.recordRelease(e.data as Parameters<DecisionThrottleCounts['recordRelease']>[0]);
    else if (category === MESSAGE_CATEGORY && e.type === 'MessageDecided')
      this.throttle.record(e.data as RecordedDecision);
  }

  /**
   * Folds a batch's rules events, per tenant with the decider's own evolveAll (as the writer folds): one copy
   * of the tenant's maps per batch, not per event. Every tenant's new state is computed before any is kept,
   * so a failure keeps none (protected: a test's subclass fails it on purpose).
   */
  protected foldRules(queued: ReadonlyMap<string, readonly RecordedEvent[]>): void {
    const next: [string, Tenant][] = [];
    for (const [tenantId, run] of queued) {
      const held = this.tenants.get(tenantId) ?? { state: rulesDecider.initialState(), position: 0n };
      const state = rulesDecider.evolveAll(
        held.state,
        run.map((e) => ({
          event: { type: e.type, data: e.data } as RulesEvent,
          revision: Number(e.revision),
        })),
      );
      next.push([tenantId, { state, position: encodePosition(run[run.length - 1]!.position) }]);
    }
    for (const [tenantId, tenant] of next) this.tenants.set(tenantId, tenant);
  }

  private advance(at: bigint): void {
    if (at <= this.folded) return;
    this.folded = at;
    this.waiters = this.waiters.filter((w) => (w.at <= this.folded ? (w.resolve(), false) : true));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reopen);
    await this.subscription?.stop();
    this.component?.set('stopped');
  }

  /** The tenant's rules as folded so far. */
  ruleSet(tenantId: string): MuteRuleSet {
    const held = this.tenants.get(tenantId);
    if (!held) return ruleSetOf(tenantId, rulesDecider.initialState(), this.folded);
    held.ruleSet ??= ruleSetOf(tenantId, held.state, held.position);
    return held.ruleSet;
  }

  rulesState(tenantId: string): RulesState {
    return this.tenants.get(tenantId)?.state ?? rulesDecider.initialState();
  }

  get position(): bigint {
    return this.folded;
  }

  /**
   * Resolves true once the fold has passed `at` (a write's consistency token), false after `timeoutMs` (the
   * fold is behind, or down and reopening: the caller must not answer as if it had passed `at`).
   */
  waitFor(at: bigint, timeoutMs: number): Promise<boolean> {
    if (at <= this.folded) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { at, resolve: () => (clearTimeout(timer), resolve(true)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}
