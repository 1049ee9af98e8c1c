import { createSchemaIfMissing, quoteIdent, type RecordedEvent } from '@tagguard/event-store';
import type { SqlExecutor } from './checkpoint-store';

/** An event a component gave up on: kept with the reason, for a person to read and replay or discard. */
export interface ParkedEvent {
  component: string;
  eventId: string;
  streamId: string;
  type: string;
  position: string;
  reason: string;
  attempts: number;
  parkedAt: Date;
}

interface ParkedRow {
  component: string;
  event_id: string;
  stream_id: string;
  type: string;
  position: string;
  reason: string;
  attempts: number;
  parked_at: Date;
}

/** The dead letters of event-store subscribers (Kafka consumers park on `<group>.dlt` instead). */
export class PostgresParkedEvents {
  private constructor(
    private readonly db: SqlExecutor,
    private readonly table: string,
  ) {}

  static async create(db: SqlExecutor, schema: string): Promise<PostgresParkedEvents> {
    const table = `${quoteIdent(schema)}.parked_events`;
    await createSchemaIfMissing(db, schema);
    await db.query(`CREATE TABLE IF NOT EXISTS ${table} (
      component text NOT NULL, event_id text NOT NULL, stream_id text NOT NULL, type text NOT NULL,
      position text NOT NULL, reason text NOT NULL, attempts integer NOT NULL,
      parked_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, event_id))`);
    return new PostgresParkedEvents(db, table);
  }

  /** Idempotent: parking the same event again (after a restart) keeps the first row. */
  async park(component: string, event: RecordedEvent, reason: string, attempts: number): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.table} (component, event_id, stream_id, type, position, reason, attempts)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [
        component,
        event.id,
        event.streamId,
        event.type,
        `${event.position.commit}/${event.position.prepare}`,
        reason,
        attempts,
      ],
    );
  }

  async list(component: string, limit = 50): Promise<ParkedEvent[]> {
    const result = await this.db.query(
      `SELECT * FROM ${this.table} WHERE component = $1 ORDER BY parked_at DESC, event_id LIMIT $2`,
      [component, limit],
    );
    const rows = (Array.isArray(result) ? result : (result as { rows: ParkedRow[] }).rows) as ParkedRow[];
    return rows.map((r) => ({
      component: r.component,
      eventId: r.event_id,
      streamId: r.stream_id,
      type: r.type,
      position: r.position,
      reason: r.reason,
      attempts: r.attempts,
      parkedAt: new Date(r.parked_at),
    }));
  }

  async count(component: string): Promise<number> {
    const result = await this.db.query(`SELECT count(*)::int AS n FROM ${this.table} WHERE component = $1`, [
      component,
    ]);
    const rows = (Array.isArray(result) ? result : (result as { rows: { n: number }[] }).rows) as {
      n: number;
    }[];
    return rows[0]?.n ?? 0;
  }
}
