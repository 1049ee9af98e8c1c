import { createSchemaIfMissing, quoteIdent } from '@tagguard/event-store';
import type { Pool, PoolClient } from 'pg';

/** A query runner: the pool, or a transaction's client. */
export type Sql = Pick<PoolClient, 'query'>;

const guarded = new WeakSet<PoolClient>();

/** Runs `work` in one transaction on its own connection; rolled back when it throws. */
export async function inTransaction<T>(pool: Pool, work: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A session that breaks while checked out (a terminated backend) must fail the query, not the process.
  if (!guarded.has(client)) {
    guarded.add(client);
    client.on('error', () => undefined);
  }
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (error) {
    const rolledBack = await client.query('ROLLBACK').then(
      () => true,
      () => false,
    );
    // A client that could not even roll back is broken: destroyed, not returned to the pool.
    client.release(rolledBack ? undefined : true);
    throw error;
  }
}

export const table = (schema: string, name: string): string => `${quoteIdent(schema)}.${quoteIdent(name)}`;

/** Creates tables once per schema even when several instances start together. */
export async function createTables(pool: Pool, schema: string, lock: string, ddl: string[]): Promise<void> {
  await createSchemaIfMissing(pool, schema);
  await inTransaction(pool, async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${schema}.${lock}`]);
    for (const statement of ddl) await tx.query(statement);
  });
}
