import type { Pool, PoolClient } from 'pg';
import { createTables, inTransaction, table, type Sql } from './sql';

export type DueTimer = {
  timerId: string;
  tenantId: string;
  kind: string;
  dueAt: number;
  payload: Record<string, unknown>;
  attempts: number;
};

/** Runs a timer's effect inside the transaction that marks it fired: its writes and the mark commit together. */
export type TimerHandler = (tx: PoolClient, timer: DueTimer) => Promise<void>;

const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 5 * 60_000;

/**
 * Durable timers (D99): a row per timer in PostgreSQL. A due timer is claimed by locking its row
 * (FOR UPDATE SKIP LOCKED: concurrent firers take different timers, never the same one), its handler runs in
 * that transaction, and the same transaction marks it fired. A crash before COMMIT leaves it pending and
 * unlocked, so it fires after the restart; after COMMIT it never fires again. Handlers are idempotent
 * anyway (their deciders answer a repeated firing with nothing), so a timer re-scheduled by a retry is safe.
 */
export class TimerStore {
  private constructor(
    private readonly pool: Pool,
    readonly table: string,
  ) {}

  static async create(pool: Pool, schema: string): Promise<TimerStore> {
    const t = table(schema, 'mute_timers');
    await createTables(pool, schema, 'mute-timers', [
      `CREATE TABLE IF NOT EXISTS ${t} (
        timer_id text PRIMARY KEY, tenant_id text NOT NULL, kind text NOT NULL, due_at timestamptz NOT NULL,
        payload jsonb NOT NULL, state text NOT NULL DEFAULT 'pending', attempts integer NOT NULL DEFAULT 0,
        last_error text, created_at timestamptz NOT NULL DEFAULT now(), fired_at timestamptz)`,
      `CREATE INDEX IF NOT EXISTS mute_timers_due ON ${t} (due_at) WHERE state = 'pending'`,
    ]);
    return new TimerStore(pool, t);
  }

  /** Schedules (or moves, while still pending) a timer, in the caller's transaction. */
  async schedule(
    tx: Sql,
    t: { timerId: string; tenantId: string; kind: string; dueAt: number; payload: Record<string, unknown> },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.table} (timer_id, tenant_id, kind, due_at, payload)
       VALUES ($1, $2, $3, to_timestamp($4 / 1000.0), $5)
       ON CONFLICT (timer_id) DO UPDATE SET due_at = EXCLUDED.due_at, payload = EXCLUDED.payload
         WHERE ${this.table}.state = 'pending'`,
      [t.timerId, t.tenantId, t.kind, t.dueAt, JSON.stringify(t.payload)],
    );
  }

  async cancel(tx: Sql, timerId: string): Promise<void> {
    await tx.query(`UPDATE ${this.table} SET state = 'cancelled' WHERE timer_id = $1 AND state = 'pending'`, [
      timerId,
    ]);
  }

  /**
   * Fires up to `limit` timers due at `now`, each in its own transaction. A failing handler rolls its
   * transaction back; the timer stays pending with a backoff and its error recorded.
   */
  async fireDue(
    now: number,
    handlers: Readonly<Record<string, TimerHandler>>,
    limit = 100,
  ): Promise<{ fired: number; failed: number }> {
    let fired = 0;
    let failed = 0;
    for (let i = 0; i < limit; i += 1) {
      let claimed: DueTimer | undefined;
      try {
        claimed = await inTransaction(this.pool, async (tx) => {
          const { rows } = await tx.query<{
            timer_id: string;
            tenant_id: string;
            kind: string;
            due_ms: string;
            payload: Record<string, unknown>;
            attempts: number;
          }>(
            `SELECT timer_id, tenant_id, kind, (extract(epoch FROM due_at) * 1000)::bigint AS due_ms, payload, attempts
               FROM ${this.table}
              WHERE state = 'pending' AND due_at <= to_timestamp($1 / 1000.0)
              ORDER BY due_at, timer_id LIMIT 1 FOR UPDATE SKIP LOCKED`,
            [now],
          );
          const row = rows[0];
          if (!row) return undefined;
          const timer: DueTimer = {
            timerId: row.timer_id,
            tenantId: row.tenant_id,
            kind: row.kind,
            dueAt: Number(row.due_ms),
            payload: row.payload,
            attempts: row.attempts,
          };
          const handler = handlers[timer.kind];
          if (!handler) throw new Error(`no handler for timer kind ${timer.kind}`);
          claimed = timer;
          await handler(tx, timer);
          await tx.query(
            `UPDATE ${this.table} SET state = 'fired', fired_at = now(), attempts = attempts + 1 WHERE timer_id = $1`,
            [timer.timerId],
          );
          return timer;
        });
      } catch (error) {
        if (!claimed) throw error;
        failed += 1;
        const backoff = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(claimed.attempts, 20));
        await this.pool.query(
          `UPDATE ${this.table} SET attempts = attempts + 1, last_error = $2,
                  due_at = greatest(due_at, to_timestamp($3 / 1000.0)) WHERE timer_id = $1 AND state = 'pending'`,
          [claimed.timerId, String((error as Error).message ?? error), now + backoff],
        );
        continue;
      }
      if (!claimed) break;
      fired += 1;
    }
    return { fired, failed };
  }

  async get(
    timerId: string,
  ): Promise<{ state: string; attempts: number; dueAt: number; lastError: string | null } | undefined> {
    const { rows } = await this.pool.query<{
      state: string;
      attempts: number;
      due_ms: string;
      last_error: string | null;
    }>(
      `SELECT state, attempts, (extract(epoch FROM due_at) * 1000)::bigint AS due_ms, last_error FROM ${this.table} WHERE timer_id = $1`,
      [timerId],
    );
    const r = rows[0];
    return r && { state: r.state, attempts: r.attempts, dueAt: Number(r.due_ms), lastError: r.last_error };
  }

  /** The earliest pending due instant, or null (the runner sleeps until then, at most its poll interval). */
  async nextDue(): Promise<number | null> {
    const { rows } = await this.pool.query<{ ms: string | null }>(
      `SELECT (extract(epoch FROM min(due_at)) * 1000)::bigint AS ms FROM ${this.table} WHERE state = 'pending'`,
    );
    return rows[0]?.ms ? Number(rows[0].ms) : null;
  }
}
