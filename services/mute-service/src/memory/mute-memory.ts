import type { EventStore, Subscription } from '@tagguard/event-store';
import { defaultSettings, type MuteRuleSet, type ThrottleCounts } from '@tagguard/mute-engine';
import type { ComponentHandle } from '@tagguard/telemetry';
import type { RecordedDecision } from '../messages/domain/message.decider';
import { rulesDecider, type RulesEvent, type RulesState } from '../rules/domain/rules.decider';
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
 */
export class MuteMemory {
  private readonly tenants = new Map<string, Tenant>();
  readonly throttle = new DecisionThrottleCounts();
  private subscription?: Subscription;
  private folded = 0n;
  private waiters: { at: bigint; resolve: () => void }[] = [];

  constructor(
    private readonly store: EventStore,
    private readonly component?: ComponentHandle,
  ) {}

  start(): Promise<void> {
    this.component?.set('starting');
    return new Promise((resolve, reject) => {
      this.subscription = this.store.subscribe({
        filter: { categories: MUTE_CATEGORIES },
        batchSize: 1_000,
        onEvents: async (events) => {
          for (const e of events) {
            const category = e.streamId.slice(0, e.streamId.indexOf('-'));
            if (category === RULES_CATEGORY) {
              const tenantId = e.metadata.tenantId;
              const held = this.tenants.get(tenantId) ?? { state: rulesDecider.initialState(), position: 0n };
              held.state = rulesDecider.evolve(
                held.state,
                { type: e.type, data: e.data } as RulesEvent,
                Number(e.revision),
              );
              held.position = encodePosition(e.position);
              delete held.ruleSet;
              this.tenants.set(tenantId, held);
            } else if (category === MESSAGE_CATEGORY && e.type === 'MessageDelivered')
              this.throttle.recordRelease(e.data as Parameters<DecisionThrottleCounts['recordRelease']>[0]);
            else if (category === MESSAGE_CATEGORY && e.type === 'MessageDecided')
              this.throttle.record(e.data as RecordedDecision);
          }
          this.folded = encodePosition(events[events.length - 1]!.position);
          this.waiters = this.waiters.filter((w) => (w.at <= this.folded ? (w.resolve(), false) : true));
        },
        onCaughtUp: () => {
          this.component?.set('running');
          resolve();
        },
        onError: (error) => {
          this.component?.set('failed', error);
          reject(error as Error);
        },
        onRetry: (error, attempt, delayMs) => this.component?.retrying(error, attempt, delayMs),
        onRecovered: () => this.component?.set('running'),
      });
    });
  }

  async stop(): Promise<void> {
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

  /** Resolves once the fold has passed `at` (a write's consistency token), or after `timeoutMs` anyway. */
  waitFor(at: bigint, timeoutMs: number): Promise<boolean> {
    if (at <= this.folded) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push({ at, resolve: () => (clearTimeout(timer), resolve(true)) });
    });
  }
}
