import { quoteIdent, type GlobalPosition } from '@tagguard/event-store';

/** Anything that runs SQL with $n parameters: a pg Pool or PoolClient, a TypeORM DataSource or EntityManager. */
export interface SqlExecutor {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** Where a relay or projection remembers how far it got in the global log. */
export interface CheckpointStore {
  load(name: string): Promise<GlobalPosition | undefined>;
  /** `tx`: save inside the caller's transaction, together with the effects the checkpoint covers. */
  save(name: string, position: GlobalPosition, tx?: SqlExecutor): Promise<void>;
}

interface CheckpointRow {
  commit_position: string;
  prepare_position: string;
}

export class PostgresCheckpointStore implements CheckpointStore {
  private constructor(
    private readonly db: SqlExecutor,
    private readonly table: string,
  ) {}

  static async create(db: SqlExecutor, schema: string): Promise<PostgresCheckpointStore> {
    const table = `${quoteIdent(schema)}.checkpoints`;
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await db.query(`CREATE TABLE IF NOT EXISTS ${table} (
      name text PRIMARY KEY, commit_position numeric(20) NOT NULL, prepare_position numeric(20) NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now())`);
    return new PostgresCheckpointStore(db, table);
  }

  async load(name: string): Promise<GlobalPosition | undefined> {
    const result = await this.db.query(
      `SELECT commit_position, prepare_position FROM ${this.table} WHERE name = $1`,
      [name],
    );
    // pg returns { rows }, TypeORM the rows themselves.
    const [row] = (
      Array.isArray(result) ? result : (result as { rows: CheckpointRow[] }).rows
    ) as CheckpointRow[];
    return row ? { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) } : undefined;
  }

  async save(name: string, position: GlobalPosition, tx: SqlExecutor = this.db): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.table} (name, commit_position, prepare_position) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET commit_position = $2, prepare_position = $3, updated_at = now()`,
      [name, String(position.commit), String(position.prepare)],
    );
  }
}
