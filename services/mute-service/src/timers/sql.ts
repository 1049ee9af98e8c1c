import { quoteIdent } from '@tagguard/event-store';
import type { Pool, PoolClient } from 'pg';

/** A query runner: the pool, or a transaction's client. */
export type Sql = Pick<PoolClient, 'query'>;

/** Runs `work` in one transaction on its own connection; rolled back when it throws. */
export async function inTransaction<T>(pool: Pool, work: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export const table = (schema: string, name: string): string => `${quoteIdent(schema)}.${quoteIdent(name)}`;

/** Creates tables once per schema even when several instances start together. */
export async function createTables(pool: Pool, schema: string, lock: string, ddl: string[]): Promise<void> {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  await inTransaction(pool, async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${schema}.${lock}`]);
    for (const statement of ddl) await tx.query(statement);
  });
}
