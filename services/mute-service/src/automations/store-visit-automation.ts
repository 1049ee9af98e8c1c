import { randomUUID } from 'node:crypto';
import type { MuteCommerceEventV1 } from '@tagguard/contracts';
import type { Pool, PoolClient } from 'pg';
import { MUTE_EVENTS_TOPIC_V1 as MUTE_FLOW_EVENTS_TOPIC } from '@tagguard/contracts';
import type { Outbox } from '../timers/outbox';
import { createTables, inTransaction, table, type Sql } from '../timers/sql';
import type { DueTimer, TimerStore } from '../timers/timer-store';
import { invalid } from '../unmute/domain/unmute.errors';
import { DEFAULT_AUTOMATION, type AutomationSettings } from './automation-overlay';
import {
  decideStoreVisit,
  evolveStoreVisit,
  initialStoreVisitState,
  type StoreVisitCommand,
  type StoreVisitEvent,
  type StoreVisitState,
} from './domain/store-visit.decider';

export const VISIT_CHECK_TIMER = 'automation.visit-check';
export const AUTOMATION_MUTE_END_TIMER = 'automation.mute-end';
const KEEP_PURCHASE_IDS = 200;

export type AutomationMuteView = {
  customerId: string;
  muteId: string;
  from: number;
  until: number;
  liftedAt: number | null;
  liftedReason: string | null;
};

type Stored = {
  visits: [string, { at: number; checkAt: number }][];
  purchases: string[];
  lastPurchaseAt: number | null;
  mute: StoreVisitState['mute'];
};

const toState = (s: Stored): StoreVisitState => ({
  visits: new Map(s.visits),
  purchases: new Set(s.purchases),
  lastPurchaseAt: s.lastPurchaseAt,
  mute: s.mute,
});
const fromState = (s: StoreVisitState): Stored => ({
  visits: [...s.visits],
  purchases: [...s.purchases].slice(-KEEP_PURCHASE_IDS),
  lastPurchaseAt: s.lastPurchaseAt,
  mute: s.mute,
});

/**
 * The store-visit automation (issue 13 item 6, D101): per (tenant, customer) a state row changed only through
 * the decider, under the row's lock; the 48 h wait and the mute's end are durable timers; the mute itself is a
 * read-model row the decision path turns into the automation's tag (automation-overlay.ts). Visits and
 * purchases arrive over Kafka (MUTE_COMMERCE_EVENTS_TOPIC_V1) or gRPC; both end here.
 */
export class StoreVisitAutomation {
  private constructor(
    readonly pool: Pool,
    private readonly settingsTable: string,
    private readonly states: string,
    private readonly mutes: string,
    private readonly timers: TimerStore,
    private readonly outbox: Outbox,
  ) {}

  static async create(
    pool: Pool,
    schema: string,
    timers: TimerStore,
    outbox: Outbox,
  ): Promise<StoreVisitAutomation> {
    const settings = table(schema, 'mute_automation_settings');
    const states = table(schema, 'mute_store_visit_states');
    const mutes = table(schema, 'mute_automation_mutes');
    await createTables(pool, schema, 'mute-automations', [
      `CREATE TABLE IF NOT EXISTS ${settings} (
        tenant_id text PRIMARY KEY, enabled boolean NOT NULL, wait_ms bigint NOT NULL, mute_ms bigint NOT NULL,
        effect text NOT NULL, updated_by text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE IF NOT EXISTS ${states} (
        tenant_id text NOT NULL, customer_id text NOT NULL, state jsonb NOT NULL, PRIMARY KEY (tenant_id, customer_id))`,
      `CREATE TABLE IF NOT EXISTS ${mutes} (
        tenant_id text NOT NULL, mute_id text NOT NULL, customer_id text NOT NULL, from_at timestamptz NOT NULL,
        until_at timestamptz NOT NULL, lifted_at timestamptz, lifted_reason text, PRIMARY KEY (tenant_id, mute_id))`,
      `CREATE INDEX IF NOT EXISTS mute_automation_mutes_active ON ${mutes} (tenant_id) WHERE lifted_at IS NULL`,
    ]);
    return new StoreVisitAutomation(pool, settings, states, mutes, timers, outbox);
  }

  async configure(
    tenantId: string,
    input: { enabled: boolean; waitHours: number; muteHours: number; effect: 'silent' | 'hold' },
    actorId: string,
  ): Promise<AutomationSettings> {
    if (!Number.isInteger(input.waitHours) || input.waitHours < 1 || input.waitHours > 24 * 30)
      throw invalid('waitHours', 'waitHours must be a whole number from 1 to 720');
    if (!Number.isInteger(input.muteHours) || input.muteHours < 1 || input.muteHours > 24 * 365)
      throw invalid('muteHours', 'muteHours must be a whole number from 1 to 8760');
    if (input.effect !== 'silent' && input.effect !== 'hold')
      throw invalid('effect', 'effect is silent or hold');
    const s: AutomationSettings = {
      enabled: input.enabled,
      waitMs: input.waitHours * 3_600_000,
      muteMs: input.muteHours * 3_600_000,
      effect: input.effect,
    };
    await this.pool.query(
      `INSERT INTO ${this.settingsTable} (tenant_id, enabled, wait_ms, mute_ms, effect, updated_by) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant_id) DO UPDATE SET enabled = $2, wait_ms = $3, mute_ms = $4, effect = $5, updated_by = $6, updated_at = now()`,
      [tenantId, s.enabled, s.waitMs, s.muteMs, s.effect, actorId],
    );
    return s;
  }

  async settings(q: Sql, tenantId: string): Promise<AutomationSettings> {
    const { rows } = await q.query<{
      enabled: boolean;
      wait_ms: string;
      mute_ms: string;
      effect: 'silent' | 'hold';
    }>(`SELECT enabled, wait_ms, mute_ms, effect FROM ${this.settingsTable} WHERE tenant_id = $1`, [
      tenantId,
    ]);
    const r = rows[0];
    return r
      ? { enabled: r.enabled, waitMs: Number(r.wait_ms), muteMs: Number(r.mute_ms), effect: r.effect }
      : DEFAULT_AUTOMATION;
  }

  /** A fact from Kafka or gRPC, in its own transaction (or the inbox's). */
  async onCommerceEvent(event: MuteCommerceEventV1, tx?: PoolClient): Promise<StoreVisitEvent[]> {
    const run = async (q: PoolClient) => {
      const d = event.data;
      if (event.type === 'commerce.store_visited.v1') {
        const settings = await this.settings(q, d.tenantId);
        // A disabled automation records nothing: no timer waits for a purchase.
        if (!settings.enabled) return [];
        return this.handle(q, d.tenantId, d.customerId, {
          type: 'RecordStoreVisit',
          visitId: event.data.visitId,
          storeId: event.data.storeId,
          at: Date.parse(event.data.visitedAt),
          policy: settings,
        });
      }
      return this.handle(q, d.tenantId, d.customerId, {
        type: 'RecordPurchase',
        purchaseId: event.data.purchaseId,
        at: Date.parse(event.data.purchasedAt),
      });
    };
    return tx ? run(tx) : inTransaction(this.pool, run);
  }

  private async handle(
    tx: PoolClient,
    tenantId: string,
    customerId: string,
    command: StoreVisitCommand,
  ): Promise<StoreVisitEvent[]> {
    await tx.query(
      `INSERT INTO ${this.states} (tenant_id, customer_id, state) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [tenantId, customerId, JSON.stringify(fromState(initialStoreVisitState))],
    );
    const { rows } = await tx.query<{ state: Stored }>(
      `SELECT state FROM ${this.states} WHERE tenant_id = $1 AND customer_id = $2 FOR UPDATE`,
      [tenantId, customerId],
    );
    let state = toState(rows[0]!.state);
    const before = state.mute;
    const events = decideStoreVisit(command, state);
    for (const e of events) state = evolveStoreVisit(state, e);
    if (events.length === 0) return events;
    await tx.query(`UPDATE ${this.states} SET state = $3 WHERE tenant_id = $1 AND customer_id = $2`, [
      tenantId,
      customerId,
      JSON.stringify(fromState(state)),
    ]);
    for (const e of events) await this.apply(tx, tenantId, customerId, e, before);
    return events;
  }

  private async apply(
    tx: PoolClient,
    tenantId: string,
    customerId: string,
    e: StoreVisitEvent,
    before: StoreVisitState['mute'],
  ): Promise<void> {
    const publish = (type: string, data: object) =>
      this.outbox.add(tx, {
        topic: MUTE_FLOW_EVENTS_TOPIC,
        key: `${tenantId}/customer/${customerId}`,
        eventId: randomUUID(),
        type,
        data: { tenantId, revision: '0', position: '0', customerId, ...data },
        tenantId,
        actorId: 'mute-service.automation',
      });
    switch (e.type) {
      case 'StoreVisitRecorded':
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
      case 'CustomerMutedForNoPurchase':
        if (before) await this.lift(tx, tenantId, before.muteId, e.from, 'replaced');
        await tx.query(
          `INSERT INTO ${this.mutes} (tenant_id, mute_id, customer_id, from_at, until_at)
           VALUES ($1, $2, $3, to_timestamp($4 / 1000.0), to_timestamp($5 / 1000.0)) ON CONFLICT DO NOTHING`,
          [tenantId, e.muteId, customerId, e.from, e.until],
        );
        await this.timers.schedule(tx, {
          timerId: `${AUTOMATION_MUTE_END_TIMER}:${tenantId}/${e.muteId}`,
          tenantId,
          kind: AUTOMATION_MUTE_END_TIMER,
          dueAt: e.until,
          payload: { customerId, muteId: e.muteId },
        });
        await publish('mute.customer_muted_by_automation.v1', {
          muteId: e.muteId,
          visitId: e.visitId,
          from: new Date(e.from).toISOString(),
          until: new Date(e.until).toISOString(),
        });
        return;
      case 'AutomationMuteLifted':
        await this.lift(tx, tenantId, e.muteId, e.at, e.reason);
        await publish('mute.automation_mute_lifted.v1', {
          muteId: e.muteId,
          at: new Date(e.at).toISOString(),
          reason: e.reason,
        });
        return;
    }
  }

  private async lift(tx: Sql, tenantId: string, muteId: string, at: number, reason: string): Promise<void> {
    await tx.query(
      `UPDATE ${this.mutes} SET lifted_at = to_timestamp($3 / 1000.0), lifted_reason = $4
        WHERE tenant_id = $1 AND mute_id = $2 AND lifted_at IS NULL`,
      [tenantId, muteId, at, reason],
    );
    await this.timers.cancel(tx, `${AUTOMATION_MUTE_END_TIMER}:${tenantId}/${muteId}`);
  }

  readonly onVisitCheck = async (tx: PoolClient, timer: DueTimer): Promise<void> => {
    const settings = await this.settings(tx, timer.tenantId);
    if (!settings.enabled) return;
    await this.handle(tx, timer.tenantId, String(timer.payload.customerId), {
      type: 'CheckVisit',
      visitId: String(timer.payload.visitId),
      now: Math.max(timer.dueAt, Date.now()),
      policy: settings,
    });
  };

  readonly onMuteEnd = async (tx: PoolClient, timer: DueTimer): Promise<void> => {
    await this.handle(tx, timer.tenantId, String(timer.payload.customerId), {
      type: 'ExpireAutomationMute',
      muteId: String(timer.payload.muteId),
      now: Math.max(timer.dueAt, Date.now()),
    });
  };

  get timerHandlers() {
    return { [VISIT_CHECK_TIMER]: this.onVisitCheck, [AUTOMATION_MUTE_END_TIMER]: this.onMuteEnd };
  }

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
