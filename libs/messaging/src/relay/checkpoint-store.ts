import { createSchemaIfMissing, quoteIdent, type GlobalPosition } from '@tagguard/event-store';

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

/** The lease epoch a save must still hold: a newer leader has bumped it, so this writer is stale. */
export interface Fence {
  lease: string;
  epoch: bigint;
}

/** A checkpoint save by a writer whose lease epoch is no longer current; its transaction must roll back. */
export class FencedError extends Error {
  readonly code = 'LEASE.FENCED';
  constructor(
    readonly lease: string,
    readonly epoch: bigint | undefined,
  ) {
    super(
      epoch === undefined
        ? `not the leader of ${lease}: no lease epoch held`
        : `lease ${lease} epoch ${epoch} is stale: another instance took over`,
    );
    this.name = 'FencedError';
  }
}

interface CheckpointRow {
  commit_position: string;
  prepare_position: string;
}

function rowsOf<T>(result: unknown): T[] {
  // pg returns { rows }, TypeORM the rows themselves.
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

export class PostgresCheckpointStore implements CheckpointStore {
  private constructor(
    private readonly db: SqlExecutor,
    private readonly table: string,
    private readonly leases: string,
  ) {}

  static async create(db: SqlExecutor, schema: string): Promise<PostgresCheckpointStore> {
    const table = `${quoteIdent(schema)}.checkpoints`;
    const leases = `${quoteIdent(schema)}.leases`;
    await createSchemaIfMissing(db, schema);
    await db.query(`CREATE TABLE IF NOT EXISTS ${table} (
      name text PRIMARY KEY, commit_position numeric(20) NOT NULL, prepare_position numeric(20) NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now())`);
    // The lease epoch the checkpoint was last written under (null: written without a lease).
    await db.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS epoch bigint`);
    await db.query(`CREATE TABLE IF NOT EXISTS ${leases} (
      name text PRIMARY KEY, epoch bigint NOT NULL, holder text NOT NULL, acquired_at timestamptz NOT NULL)`);
    return new PostgresCheckpointStore(db, table, leases);
  }

  async load(name: string): Promise<GlobalPosition | undefined> {
    const result = await this.db.query(
      `SELECT commit_position, prepare_position FROM ${this.table} WHERE name = $1`,
      [name],
    );
    const [row] = rowsOf<CheckpointRow>(result);
    return row ? { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) } : undefined;
  }

  /**
   * With a fence, the save holds a share lock on the lease row until its transaction ends and writes
   * only if the epoch is still current: a new leader's epoch bump waits for it, and a stale writer's
   * save (and with it its transaction's effects) fails with FencedError.
   */
  async save(
    name: string,
    position: GlobalPosition,
    tx: SqlExecutor = this.db,
    fence?: Fence,
  ): Promise<void> {
    if (!fence) {
      await tx.query(
        `INSERT INTO ${this.table} (name, commit_position, prepare_position) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET commit_position = $2, prepare_position = $3, updated_at = now()`,
        [name, String(position.commit), String(position.prepare)],
      );
      return;
    }
    const result = await tx.query(
      `WITH current AS (SELECT epoch FROM ${this.leases} WHERE name = $4 AND epoch = $5 FOR SHARE)
       INSERT INTO ${this.table} (name, commit_position, prepare_position, epoch)
       SELECT $1, $2, $3, epoch FROM current
       ON CONFLICT (name) DO UPDATE SET commit_position = $2, prepare_position = $3, epoch = excluded.epoch,
         updated_at = now()
       RETURNING epoch`,
      [name, String(position.commit), String(position.prepare), fence.lease, String(fence.epoch)],
    );
    if (rowsOf(result).length === 0) throw new FencedError(fence.lease, fence.epoch);
  }

  /** The next epoch of `lease`, taken by a writer that has just become its leader (holding its lock). */
  async nextEpoch(lease: string, holder: string, db: SqlExecutor = this.db): Promise<bigint> {
    const result = await db.query(
      `INSERT INTO ${this.leases} (name, epoch, holder, acquired_at) VALUES ($1, 1, $2, now())
       ON CONFLICT (name) DO UPDATE SET epoch = ${this.leases}.epoch + 1, holder = $2, acquired_at = now()
       RETURNING epoch`,
      [lease, holder],
    );
    return BigInt(rowsOf<{ epoch: string }>(result)[0]!.epoch);
  }

  /** A view whose saves are fenced by the epoch `current()` returns; FencedError while it returns none. */
  fenced(lease: string, current: () => bigint | undefined): CheckpointStore {
    return {
      load: (name) => this.load(name),
      save: (name, position, tx) => {
        const epoch = current();
        if (epoch === undefined) return Promise.reject(new FencedError(lease, undefined));
        return this.save(name, position, tx, { lease, epoch });
      },
    };
  }
}
