import type { PermissionIntegrationEventV1 } from '@tagguard/contracts';
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

type Held = { state: PolicyState; revisions: FoldRevisions; unended: Map<string, Set<string>> };

export const POLICY_MEMORY = 'permission-service.policy-memory';

/**
 * The policy every check reads: each tenant's PolicyState, folded in memory from the policy streams with
 * the engine's own fold over the very fat events the relay publishes (tag-service's copy folds the same).
 * Every instance folds everything from the start (no lease: each one answers checks), and `folded` says
 * how far, so a check can wait for a write's consistency token.
 */
export class PolicyMemory {
  private readonly tenants = new Map<string, Held>();
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
              unended: new Map(),
            };
            const before = held.state;
            held.state = applyPolicyEvent(before, event, held.revisions);
            if (held.state !== before) noteUnended(held, before, event);
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

  /**
   * The assignments of a role the fold dropped though their own streams never ended them: held when the
   * role was removed, or written while it stood removed (D80). RemoveRole ends them with events.
   */
  unendedOf(tenantId: string, roleId: string): string[] {
    return [...(this.tenants.get(tenantId)?.unended.get(roleId) ?? [])];
  }

  /** The tenant's policy as folded so far (an empty one for a tenant without policy). */
  policy(tenantId: string): PolicyState {
    return this.tenants.get(tenantId)?.state ?? { ...emptyPolicy(tenantId), position: this.folded.position };
  }
}

/** Keeps `unended` in step with a folded event that changed the state. */
function noteUnended(held: Held, before: PolicyState, event: PermissionIntegrationEventV1): void {
  // A removal drops the role's assignments, and a definition those made against another one (D80).
  if (event.type === 'permission.role_changed.v1') {
    const { roleId } = event.data;
    for (const a of before.assignments.values())
      if (a.roleId === roleId && !held.state.assignments.has(a.assignmentId))
        unended(held, roleId).add(a.assignmentId);
  } else if (event.type === 'permission.role_assignment_changed.v1') {
    const { assignmentId, roleId, removed } = event.data;
    // Its latest event decides: ended, held afresh, or (written while its role stood removed) dropped.
    for (const ids of held.unended.values()) ids.delete(assignmentId);
    if (!removed && !held.state.assignments.has(assignmentId)) unended(held, roleId).add(assignmentId);
  }
}

function unended(held: Held, roleId: string): Set<string> {
  const ids = held.unended.get(roleId) ?? new Set<string>();
  held.unended.set(roleId, ids);
  return ids;
}
