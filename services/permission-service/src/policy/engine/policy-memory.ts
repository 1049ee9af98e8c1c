import type { EventStore, Subscription } from '@tagguard/event-store';
import {
  applyPolicyEvent,
  emptyPolicy,
  type FoldRevisions,
  type PolicyState,
} from '@tagguard/permission-engine';
import type { ComponentHandle } from '@tagguard/telemetry';
import { PositionWaiter } from '../domain/position-waiter';
import { integrationEventOf } from '../integration/policy-events.translation';
import { POLICY_CATEGORIES } from '../streams';

export const POLICY_MEMORY = 'permission-service.policy-memory';

/**
 * The policy every check reads: each tenant's PolicyState, folded in memory from the policy streams with
 * the engine's own fold over the very fat events the relay publishes (tag-service's copy folds the same).
 * Every instance folds everything from the start (no lease: each one answers checks), and `folded` says
 * how far, so a check can wait for a write's consistency token.
 */
export class PolicyMemory {
  private readonly tenants = new Map<string, { state: PolicyState; revisions: FoldRevisions }>();
  readonly folded = new PositionWaiter('the policy');
  private subscription?: Subscription;

  constructor(
    private readonly store: EventStore,
    private readonly component?: ComponentHandle,
  ) {}

  start(): Promise<void> {
    this.component?.set('starting');
    return new Promise((resolve, reject) => {
      this.subscription = this.store.subscribe({
        filter: { categories: POLICY_CATEGORIES },
        batchSize: 1_000,
        onEvents: async (events) => {
          for (const recorded of events) {
            const event = integrationEventOf(recorded);
            if (!event) continue;
            const held = this.tenants.get(event.data.tenantId) ?? {
              state: emptyPolicy(event.data.tenantId),
              revisions: new Map(),
            };
            held.state = applyPolicyEvent(held.state, event, held.revisions);
            this.tenants.set(event.data.tenantId, held);
          }
          this.folded.advance(events[events.length - 1]!.position);
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

  /** The tenant's policy as folded so far (an empty one for a tenant without policy). */
  policy(tenantId: string): PolicyState {
    return this.tenants.get(tenantId)?.state ?? { ...emptyPolicy(tenantId), position: this.folded.position };
  }
}
