import type { Pool } from 'pg';
import type { GlobalPosition } from '@tagguard/event-store';

/** Where a relay or projection remembers how far it got in the global log. */
export interface CheckpointStore {
  load(name: string): Promise<GlobalPosition | undefined>;
  save(name: string, position: GlobalPosition): Promise<void>;
}

export class PostgresCheckpointStore implements CheckpointStore {
  private constructor(
    private readonly pool: Pool,
    private readonly table: string,
  ) {}

  static async create(pool: Pool, schema: string): Promise<PostgresCheckpointStore> {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema "${schema}"`);
    const table = `"${schema}".checkpoints`;
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (
      name text PRIMARY KEY, commit_position numeric(20) NOT NULL, prepare_position numeric(20) NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now())`);
    return new PostgresCheckpointStore(pool, table);
  }

  async load(name: string): Promise<GlobalPosition | undefined> {
    const { rows } = await this.pool.query<{ commit_position: string; prepare_position: string }>(
      `SELECT commit_position, prepare_position FROM ${this.table} WHERE name = $1`,
      [name],
    );
    return rows[0]
      ? { commit: BigInt(rows[0].commit_position), prepare: BigInt(rows[0].prepare_position) }
      : undefined;
  }

  async save(name: string, position: GlobalPosition): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.table} (name, commit_position, prepare_position) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET commit_position = $2, prepare_position = $3, updated_at = now()`,
      [name, String(position.commit), String(position.prepare)],
    );
  }
}
