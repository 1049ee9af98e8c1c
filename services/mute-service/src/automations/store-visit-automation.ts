import type { MuteCommerceEventV1 } from '@tagguard/contracts';
import { idAfterTenant, idOf, type EventStore, type RecordedEvent } from '@tagguard/event-store';
import type { ComponentHandle } from '@tagguard/telemetry';
import type { Pool, PoolClient } from 'pg';
import { ReadModelFeed } from '../projections/read-model-feed';
import { AUTOMATION_CATEGORY, CUSTOMER_CATEGORY, automationSettingsStream, customerStream } from '../streams';
import { createTables, table, type Sql } from '../timers/sql';
import type { DueTimer, TimerStore } from '../timers/timer-store';
import type { MuteWriter } from '../write/mute-writer';
import { DEFAULT_AUTOMATION, type AutomationSettings } from './automation-overlay';
import {
  automationSettingsDecider,
  customerStreamDecider,
  fromStoredStoreVisit,
  type AutomationSettingsEvent,
  type StoreVisitCommand,
  type StoreVisitEvent,
} from './domain/store-visit.decider';

export const VISIT_CHECK_TIMER = 'automation.visit-check';
export const AUTOMATION_MUTE_END_TIMER = 'automation.mute-end';
export const AUTOMATION_FEED = 'automation-feed';
const ACTOR = 'mute-service.automation';

export type AutomationMuteView = {
  customerId: string;
  muteId: string;
  from: number;
  until: number;
  liftedAt: number | null;
  liftedReason: string | null;
};

const muteEndTimer = (tenantId: string, muteId: string) =>
  `${AUTOMATION_MUTE_END_TIMER}:${tenantId}/${muteId}`;

/**
 * The store-visit automation (issue 13 item 6, D101, D110). Its state is events through MuteWriter: per
 * (tenant, customer) a stream (muteCustomer-<tenant>.<customerId>: StoreVisitRecorded, PurchaseRecorded,
 * CustomerMutedForNoPurchase, AutomationMuteLifted), per tenant its settings (muteAutomation-<tenant>.store-visit).
 * The tables are read models fed from the event store (the automation feed): the settings and the mutes, which
 * the decision path turns into the automation's tag (automation-overlay.ts). The feed also keeps the 48 h wait
 * and the mute's end durable timers; the relay publishes the mute and its lift. Visits and purchases arrive
 * over Kafka (MUTE_COMMERCE_EVENTS_TOPIC_V1) or gRPC; both end here.
 */
export class StoreVisitAutomation {
  readonly feed: ReadModelFeed;

  private constructor(
    readonly pool: Pool,
    private readonly settingsTable: string,
    private readonly mutes: string,
    private readonly timers: TimerStore,
    private readonly writer: MuteWriter,
    schema: string,
    store: EventStore,
    component?: ComponentHandle,
  ) {
    this.feed = new ReadModelFeed(pool, schema, store, {
      name: AUTOMATION_FEED,
      filter: { categories: [CUSTOMER_CATEGORY, AUTOMATION_CATEGORY] },
      apply: (tx, events) => this.apply(tx, events),
      ...(component ? { component } : {}),
    });
  }

  static tables(schema: string) {
    return {
      settings: table(schema, 'mute_automation_settings'),
      mutes: table(schema, 'mute_automation_mutes'),
    };
  }

  static async create(
    pool: Pool,
    schema: string,
    store: EventStore,
    writer: MuteWriter,
    timers: TimerStore,
    component?: ComponentHandle,
  ): Promise<StoreVisitAutomation> {
    const { settings, mutes } = StoreVisitAutomation.tables(schema);
    await createTables(pool, schema, 'mute-automations', [
      `CREATE TABLE IF NOT EXISTS ${settings} (
        tenant_id text PRIMARY KEY, enabled boolean NOT NULL, wait_ms bigint NOT NULL, mute_ms bigint NOT NULL,
        effect text NOT NULL, updated_by text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE IF NOT EXISTS ${mutes} (
        tenant_id text NOT NULL, mute_id text NOT NULL, customer_id text NOT NULL, from_at timestamptz NOT NULL,
        until_at timestamptz NOT NULL, lifted_at timestamptz, lifted_reason text, PRIMARY KEY (tenant_id, mute_id))`,
      `CREATE INDEX IF NOT EXISTS mute_automation_mutes_active ON ${mutes} (tenant_id) WHERE lifted_at IS NULL`,
    ]);
    await ReadModelFeed.createCheckpoints(pool, schema);
    return new StoreVisitAutomation(pool, settings, mutes, timers, writer, schema, store, component);
  }

  // ---- the write side ----

  async configure(
    tenantId: string,
    input: { enabled: boolean; waitHours: number; muteHours: number; effect: 'silent' | 'hold' },
    actorId: string,
  ): Promise<AutomationSettings> {
    const outcome = await this.writer.write(
      { stream: automationSettingsStream(tenantId), decider: automationSettingsDecider },
      { type: 'ConfigureStoreVisitAutomation', ...input },
      { tenantId, actorId },
    );
    // Read-your-write: the decision path's memory is refreshed from the settings table next.
    await this.feed.waitFor(outcome.position);
    return outcome.state.settings!;
  }

  /** The tenant's settings, from its stream (the writer's cache): a visit is checked against what was set. */
  async settings(_q: Sql, tenantId: string): Promise<AutomationSettings> {
    const state = await this.writer.state({
      stream: automationSettingsStream(tenantId),
      decider: automationSettingsDecider,
    });
    return state.settings ?? DEFAULT_AUTOMATION;
  }

  /**
   * A fact from Kafka or gRPC. Appended to the customer's stream (not the inbox's transaction): a redelivery
   * finds the visit or purchase id in the stream's state and writes nothing. Inside the inbox's transaction
   * (`tx`, from Kafka) it does not wait for the feed: that transaction holds a transaction id, and the store's
   * gap-safe reads hold back the append until it ends, so the wait would always run its full timeout.
   */
  async onCommerceEvent(event: MuteCommerceEventV1, tx?: PoolClient): Promise<StoreVisitEvent[]> {
    const d = event.data;
    const wait = tx === undefined;
    if (event.type === 'commerce.store_visited.v1') {
      const settings = await this.settings(this.pool, d.tenantId);
      // A disabled automation records nothing: no timer waits for a purchase.
      if (!settings.enabled) return [];
      return this.handle(
        d.tenantId,
        d.customerId,
        {
          type: 'RecordStoreVisit',
          visitId: event.data.visitId,
          storeId: event.data.storeId,
          at: Date.parse(event.data.visitedAt),
          policy: settings,
        },
        wait,
      );
    }
    return this.handle(
      d.tenantId,
      d.customerId,
      {
        type: 'RecordPurchase',
        purchaseId: event.data.purchaseId,
        at: Date.parse(event.data.purchasedAt),
      },
      wait,
    );
  }

  private async handle(
    tenantId: string,
    customerId: string,
    command: StoreVisitCommand,
    wait = true,
  ): Promise<StoreVisitEvent[]> {
    let decided: StoreVisitEvent[] = [];
    const outcome = await this.writer.write(
      {
        stream: customerStream(tenantId, customerId),
        decider: customerStreamDecider((events) => (decided = events)),
      },
      command,
      { tenantId, actorId: ACTOR },
    );
    if (!outcome.changed) return [];
    // A purchase's lift is in the read model (and so the next refresh of the decision path) before the answer.
    if (wait) await this.feed.waitFor(outcome.position);
    return decided;
  }

  // Timer handlers append to the event store, not to the timer's transaction: a crash after the append fires
  // the timer again and the decider answers it with nothing. They do not wait for the feed: the timer's
  // transaction holds a transaction id, and gap-safe reads hold back the append until it ends.
  readonly onVisitCheck = async (_tx: PoolClient, timer: DueTimer): Promise<void> => {
    const settings = await this.settings(this.pool, timer.tenantId);
    if (!settings.enabled) return;
    await this.handle(
      timer.tenantId,
      String(timer.payload.customerId),
      {
        type: 'CheckVisit',
        visitId: String(timer.payload.visitId),
        now: Math.max(timer.dueAt, Date.now()),
        policy: settings,
      },
      false,
    );
  };

  readonly onMuteEnd = async (_tx: PoolClient, timer: DueTimer): Promise<void> => {
    await this.handle(
      timer.tenantId,
      String(timer.payload.customerId),
      {
        type: 'ExpireAutomationMute',
        muteId: String(timer.payload.muteId),
        now: Math.max(timer.dueAt, Date.now()),
      },
      false,
    );
  };

  get timerHandlers() {
    return { [VISIT_CHECK_TIMER]: this.onVisitCheck, [AUTOMATION_MUTE_END_TIMER]: this.onMuteEnd };
  }

  // ---- the read models: applied by the feed, in the transaction of its checkpoint; idempotent ----

  private async apply(tx: PoolClient, events: RecordedEvent[]): Promise<void> {
    for (const recorded of events) {
      const tenantId = recorded.metadata.tenantId;
      if (recorded.type === 'StoreVisitAutomationConfigured') {
        const s = recorded.data as AutomationSettingsEvent['data'];
        await tx.query(
          `INSERT INTO ${this.settingsTable} (tenant_id, enabled, wait_ms, mute_ms, effect, updated_by, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (tenant_id) DO UPDATE SET enabled = $2, wait_ms = $3, mute_ms = $4, effect = $5,
             updated_by = $6, updated_at = $7`,
          [
            tenantId,
            s.enabled,
            s.waitMs,
            s.muteMs,
            s.effect,
            recorded.metadata.actorId,
            recorded.metadata.occurredAt,
          ],
        );
        continue;
      }
      const customerId = idAfterTenant(tenantId, idOf(recorded.streamId));
      await this.applyCustomer(tx, tenantId, customerId, fromStoredStoreVisit(recorded));
    }
  }

  private async applyCustomer(tx: PoolClient, tenantId: string, customerId: string, e: StoreVisitEvent) {
    switch (e.type) {
      case 'StoreVisitRecorded':
        // Fired or cancelled timers are not re-armed (schedule moves pending ones only): a rebuild is safe.
        await this.timers.schedule(tx, {
          timerId: `${VISIT_CHECK_TIMER}:${tenantId}/${customerId}/${e.visitId}`,
          tenantId,
          kind: VISIT_CHECK_TIMER,
          dueAt: e.checkAt,
          payload: { customerId, visitId: e.visitId },
        });
        return;
      case 'PurchaseRecorded':
        return;
      case 'CustomerMutedForNoPurchase': {
        // A longer mute from a later visit replaces the customer's current one.
        const { rows } = await tx.query<{ mute_id: string }>(
          `UPDATE ${this.mutes} SET lifted_at = to_timestamp($4 / 1000.0), lifted_reason = 'replaced'
            WHERE tenant_id = $1 AND customer_id = $2 AND mute_id <> $3 AND lifted_at IS NULL RETURNING mute_id`,
          [tenantId, customerId, e.muteId, e.from],
        );
        for (const r of rows) await this.timers.cancel(tx, muteEndTimer(tenantId, r.mute_id));
        await tx.query(
          `INSERT INTO ${this.mutes} (tenant_id, mute_id, customer_id, from_at, until_at)
           VALUES ($1, $2, $3, to_timestamp($4 / 1000.0), to_timestamp($5 / 1000.0)) ON CONFLICT DO NOTHING`,
          [tenantId, e.muteId, customerId, e.from, e.until],
        );
        await this.timers.schedule(tx, {
          timerId: muteEndTimer(tenantId, e.muteId),
          tenantId,
          kind: AUTOMATION_MUTE_END_TIMER,
          dueAt: e.until,
          payload: { customerId, muteId: e.muteId },
        });
        return;
      }
      case 'AutomationMuteLifted':
        await tx.query(
          `UPDATE ${this.mutes} SET lifted_at = to_timestamp($3 / 1000.0), lifted_reason = $4
            WHERE tenant_id = $1 AND mute_id = $2 AND lifted_at IS NULL`,
          [tenantId, e.muteId, e.at, e.reason],
        );
        await this.timers.cancel(tx, muteEndTimer(tenantId, e.muteId));
        return;
    }
  }

  // ---- queries ----

  /** The customers the automation mutes at `at` (the decision path gives them the automation's tag). */
  async mutedCustomers(tenantId: string, at: number): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ customer_id: string }>(
      `SELECT customer_id FROM ${this.mutes} WHERE tenant_id = $1 AND lifted_at IS NULL
          AND from_at <= to_timestamp($2 / 1000.0) AND until_at > to_timestamp($2 / 1000.0)`,
      [tenantId, at],
    );
    return new Set(rows.map((r) => r.customer_id));
  }

  /** Every tenant's settings and mutes not lifted (the decision path's memory, AutomationView). */
  async snapshot(): Promise<{
    settings: Map<string, AutomationSettings>;
    mutes: Map<string, { customerId: string; from: number; until: number }[]>;
  }> {
    const { rows: s } = await this.pool.query<{
      tenant_id: string;
      enabled: boolean;
      wait_ms: string;
      mute_ms: string;
      effect: 'silent' | 'hold';
    }>(`SELECT tenant_id, enabled, wait_ms, mute_ms, effect FROM ${this.settingsTable}`);
    const { rows: m } = await this.pool.query<{
      tenant_id: string;
      customer_id: string;
      from_ms: string;
      until_ms: string;
    }>(
      `SELECT tenant_id, customer_id, (extract(epoch FROM from_at) * 1000)::bigint AS from_ms,
              (extract(epoch FROM until_at) * 1000)::bigint AS until_ms FROM ${this.mutes} WHERE lifted_at IS NULL`,
    );
    const settings = new Map(
      s.map((r) => [
        r.tenant_id,
        { enabled: r.enabled, waitMs: Number(r.wait_ms), muteMs: Number(r.mute_ms), effect: r.effect },
      ]),
    );
    const mutes = new Map<string, { customerId: string; from: number; until: number }[]>();
    for (const r of m)
      mutes.set(r.tenant_id, [
        ...(mutes.get(r.tenant_id) ?? []),
        { customerId: r.customer_id, from: Number(r.from_ms), until: Number(r.until_ms) },
      ]);
    return { settings, mutes };
  }

  async listMutes(tenantId: string, customerId?: string): Promise<AutomationMuteView[]> {
    const { rows } = await this.pool.query<{
      customer_id: string;
      mute_id: string;
      from_ms: string;
      until_ms: string;
      lifted_ms: string | null;
      lifted_reason: string | null;
    }>(
      `SELECT customer_id, mute_id, (extract(epoch FROM from_at) * 1000)::bigint AS from_ms,
              (extract(epoch FROM until_at) * 1000)::bigint AS until_ms,
              (extract(epoch FROM lifted_at) * 1000)::bigint AS lifted_ms, lifted_reason
         FROM ${this.mutes} WHERE tenant_id = $1 AND ($2::text IS NULL OR customer_id = $2) ORDER BY from_at, mute_id`,
      [tenantId, customerId ?? null],
    );
    return rows.map((r) => ({
      customerId: r.customer_id,
      muteId: r.mute_id,
      from: Number(r.from_ms),
      until: Number(r.until_ms),
      liftedAt: r.lifted_ms === null ? null : Number(r.lifted_ms),
      liftedReason: r.lifted_reason,
    }));
  }
}
