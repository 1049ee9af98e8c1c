import type { PermissionIntegrationEventV1 } from '@tagguard/contracts';
import { quoteIdent } from '@tagguard/event-store';
import {
  applyPolicyEvent,
  emptyPolicy,
  type FoldRevisions,
  type PolicyState,
} from '@tagguard/permission-engine';
import type { DataSource } from 'typeorm';
import type { PolicyRow } from './domain/policy-copy.rows';
import { PolicyObjectView } from './policy-copy.entity';

interface Held {
  state: PolicyState;
  revisions: FoldRevisions;
}

/** How far back a refresh re-reads, so a row committed late (an older timestamp) is still seen. */
const REFRESH_OVERLAP_MS = 5_000;

/**
 * tag-service's local copy of permission-service's policy: persisted per object in `policy_objects`
 * (so a restart does not start blind) and held in memory per tenant as the engine's PolicyState, folded
 * by the engine's own `applyPolicyEvent`. The consumer writes the table and this process's memory; the
 * other instances (which do not receive that message: one consumer group) fold the same rows in within
 * `refreshMs`. Never asks permission-service.
 */
export class PolicyCopy {
  private readonly tenants = new Map<string, Held>();
  private readonly loading = new Map<string, Promise<Held>>();
  private readonly table: string;
  private since: Date | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: DataSource,
    schema: string,
    private readonly onRefreshError: (error: unknown) => void = () => undefined,
  ) {
    this.table = `${quoteIdent(schema)}.${quoteIdent(db.getMetadata(PolicyObjectView).tableName)}`;
  }

  /**
   * Holds the event if its revision is newer than the copy's row; returns whether it changed anything
   * (a replay, or an older event arriving late, does not).
   */
  async apply(row: PolicyRow): Promise<boolean> {
    const changed = (await this.db.query(
      `INSERT INTO ${this.table} AS t (tenant_id, object_key, revision, position, type, data, updated_at)
       VALUES ($1, $2, $3::bigint, $4::numeric, $5, $6::jsonb, clock_timestamp())
       ON CONFLICT (tenant_id, object_key) DO UPDATE SET
         revision = EXCLUDED.revision, position = EXCLUDED.position, type = EXCLUDED.type,
         data = EXCLUDED.data, updated_at = EXCLUDED.updated_at
       WHERE t.revision < EXCLUDED.revision
       RETURNING 1`,
      [
        row.tenantId,
        row.objectKey,
        row.revision,
        row.position,
        row.event.type,
        JSON.stringify(row.event.data),
      ],
    )) as unknown[];
    const held = this.tenants.get(row.tenantId) ?? (await this.loading.get(row.tenantId));
    if (held) fold(held, row.event);
    return changed.length > 0;
  }

  /** The tenant's policy as this process holds it (loaded from the table on first use). */
  async policy(tenantId: string): Promise<PolicyState> {
    return (this.tenants.get(tenantId) ?? (await this.load(tenantId))).state;
  }

  /**
   * Resolves once this process's copy of the tenant's policy has folded permission-service's position
   * `position` (a write's consistency token), polling memory: this instance's consumer folds at once,
   * another instance's rows arrive by `refresh`. Rejects after `timeoutMs` (UNAVAILABLE, naming the key).
   */
  async waitFor(tenantId: string, position: bigint, timeoutMs: number, key: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // The copy's position is the highest it folded; a tenant's events travel on one partition in store
    // order (the Kafka key is the tenant, D83), so having folded `position` means every earlier event too —
    // unless one was parked (dead-lettered) or came before the key change: an order naming a rule the copy
    // does not hold is therefore still "not there" (a parked deny must not be skipped silently).
    const reached = (p: PolicyState) => p.position >= position && p.order.every((id) => p.rules.has(id));
    while (!reached(await this.policy(tenantId))) {
      if (Date.now() >= deadline) throw new PolicyTokenTimeoutError(key, position, timeoutMs);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Folds in the rows other instances wrote since the last refresh, for the tenants held here. */
  async refresh(): Promise<void> {
    const [{ at }] = (await this.db.query(`SELECT clock_timestamp() AS at`)) as [{ at: Date }];
    const since = this.since ? new Date(this.since.getTime() - REFRESH_OVERLAP_MS) : at;
    const rows = (await this.db.query(
      `SELECT tenant_id, type, data FROM ${this.table} WHERE updated_at > $1 ORDER BY updated_at`,
      [since],
    )) as { tenant_id: string; type: string; data: PermissionIntegrationEventV1['data'] }[];
    for (const r of rows) {
      const held = this.tenants.get(r.tenant_id);
      if (held) fold(held, { type: r.type, data: r.data } as PermissionIntegrationEventV1);
    }
    this.since = at;
  }

  start(refreshMs: number): void {
    const tick = () => {
      this.timer = setTimeout(() => {
        this.refresh()
          .catch((error: unknown) => this.onRefreshError(error))
          .finally(() => (this.timer ? tick() : undefined));
      }, refreshMs);
      this.timer.unref();
    };
    void this.refresh().catch((error: unknown) => this.onRefreshError(error));
    tick();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private load(tenantId: string): Promise<Held> {
    let pending = this.loading.get(tenantId);
    if (!pending) {
      pending = (async () => {
        const rows = (await this.db.query(`SELECT type, data FROM ${this.table} WHERE tenant_id = $1 ORDER BY position`, [
          tenantId,
        ])) as { type: string; data: PermissionIntegrationEventV1['data'] }[];
        const held: Held = { state: emptyPolicy(tenantId), revisions: new Map() };
        // In store order, as permission-service folds them: what a fold drops (a removed role's
        // assignments) depends on the order, and both copies must agree.
        for (const r of rows) fold(held, { type: r.type, data: r.data } as PermissionIntegrationEventV1);
        this.tenants.set(tenantId, held);
        return held;
      })().finally(() => this.loading.delete(tenantId));
      this.loading.set(tenantId, pending);
    }
    return pending;
  }
}

export class PolicyTokenTimeoutError extends Error {
  readonly code = 'TAG.CONSISTENCY_TIMEOUT';
  constructor(
    readonly field: string,
    position: bigint,
    timeoutMs: number,
  ) {
    super(`the policy copy did not reach permission-service's token ${position} within ${timeoutMs} ms`);
  }
}

function fold(held: Held, event: PermissionIntegrationEventV1): void {
  held.state = applyPolicyEvent(held.state, event, held.revisions);
}
