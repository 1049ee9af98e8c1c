import type { ThrottleCounts } from '@tagguard/mute-engine';
import type { Pool } from 'pg';
import { createTables, table, type Sql } from '../timers/sql';

const KEEP_MS = 26 * 3_600_000;

/**
 * The alerts counted under throttles (D69, D-G3): one per NOTIFY whose decision listed throttles, one per
 * released digest and throttle key. Durable in PostgreSQL (written in the transaction of the delivery or the
 * release); the engine reads them synchronously from the memory this keeps, loaded at start and updated on
 * every record, of the last 26 hours (a day period in any zone).
 */
export class ThrottleAlerts {
  private readonly memory = new Map<string, number[]>();

  private constructor(
    private readonly pool: Pool,
    readonly table: string,
  ) {}

  static async create(pool: Pool, schema: string): Promise<ThrottleAlerts> {
    const t = table(schema, 'mute_throttle_alerts');
    await createTables(pool, schema, 'mute-throttle-alerts', [
      `CREATE TABLE IF NOT EXISTS ${t} (
        tenant_id text NOT NULL, recipient_id text NOT NULL, key text NOT NULL, at timestamptz NOT NULL,
        ref text NOT NULL, PRIMARY KEY (tenant_id, recipient_id, key, ref))`,
    ]);
    const alerts = new ThrottleAlerts(pool, t);
    await alerts.load(Date.now());
    return alerts;
  }

  private slot(tenantId: string, recipientId: string, key: string): string {
    return `${tenantId}\u0000${recipientId}\u0000${key}`;
  }

  async load(now: number): Promise<void> {
    const { rows } = await this.pool.query<{
      tenant_id: string;
      recipient_id: string;
      key: string;
      ms: string;
    }>(
      `SELECT tenant_id, recipient_id, key, (extract(epoch FROM at) * 1000)::bigint AS ms FROM ${this.table}
        WHERE at >= to_timestamp($1 / 1000.0) ORDER BY at`,
      [now - KEEP_MS],
    );
    this.memory.clear();
    for (const r of rows) this.remember(r.tenant_id, r.recipient_id, r.key, Number(r.ms));
  }

  private remember(tenantId: string, recipientId: string, key: string, at: number): void {
    const slot = this.slot(tenantId, recipientId, key);
    const list = this.memory.get(slot) ?? [];
    list.push(at);
    list.sort((a, b) => a - b);
    this.memory.set(slot, list);
  }

  /** Records an alert (idempotent by `ref`: a message id, a digest id) in the caller's transaction. */
  async record(
    tx: Sql,
    a: { tenantId: string; recipientId: string; key: string; at: number; ref: string },
  ): Promise<void> {
    const r = await tx.query(
      `INSERT INTO ${this.table} (tenant_id, recipient_id, key, at, ref) VALUES ($1, $2, $3, to_timestamp($4 / 1000.0), $5)
       ON CONFLICT DO NOTHING`,
      [a.tenantId, a.recipientId, a.key, a.at, a.ref],
    );
    // Memory may run ahead of a transaction that then rolls back: one alert too many is the safe side (a hold,
    // never a drop); `load` corrects it.
    if (r.rowCount) this.remember(a.tenantId, a.recipientId, a.key, a.at);
  }

  /** Per tenant: the engine's ThrottleCounts for one tenant's decisions. */
  forTenant(tenantId: string): ThrottleCounts {
    return { alerts: (recipientId, key, periodStart) => this.count(tenantId, recipientId, key, periodStart) };
  }

  count(tenantId: string, recipientId: string, key: string, periodStart: number): number {
    const list = this.memory.get(this.slot(tenantId, recipientId, key));
    if (!list) return 0;
    let n = 0;
    for (let i = list.length - 1; i >= 0 && (list[i] as number) >= periodStart; i -= 1) n += 1;
    return n;
  }
}
