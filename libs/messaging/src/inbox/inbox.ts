import type { Pool, PoolClient } from 'pg';
import { createSchemaIfMissing, quoteIdent } from '@tagguard/event-store';

export type InboxOutcome = 'processed' | 'duplicate';

/**
 * Runs `effect` at most once per (consumer group, event id): the id is recorded in the same database
 * transaction as the effect's writes, so a redelivered message finds it and changes nothing.
 */
export class Inbox {
  private constructor(
    private readonly pool: Pool,
    private readonly table: string,
  ) {}

  static async create(pool: Pool, schema: string): Promise<Inbox> {
    const table = `${quoteIdent(schema)}.inbox`;
    await createSchemaIfMissing(pool, schema);
    await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (
      consumer_group text NOT NULL, event_id uuid NOT NULL, processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer_group, event_id))`);
    return new Inbox(pool, table);
  }

  async processOnce(
    consumerGroup: string,
    eventId: string,
    effect: (tx: PoolClient) => Promise<void>,
  ): Promise<InboxOutcome> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const claimed = await client.query(
        `INSERT INTO ${this.table} (consumer_group, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
        [consumerGroup, eventId],
      );
      if (claimed.rowCount === 0) {
        await client.query('ROLLBACK');
        return 'duplicate';
      }
      await effect(client);
      await client.query('COMMIT');
      return 'processed';
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
