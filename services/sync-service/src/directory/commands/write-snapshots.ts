import { quoteIdent } from '@tagguard/event-store';
import type { DataSource } from 'typeorm';

/** A stream's write-side state is saved every this many events: a cold load reads at most this many. */
export const WRITE_SNAPSHOT_EVERY = 200;

/**
 * Write-side snapshots (states are plain JSON): what keeps a cold load of a tenant's department tree,
 * which grows with every department change, to the snapshot and a short tail.
 */
export class WriteSnapshots {
  private readonly saved = new Map<string, bigint>();

  private constructor(
    private readonly db: DataSource,
    private readonly table: string,
  ) {}

  static async create(db: DataSource, schema: string): Promise<WriteSnapshots> {
    const table = `${quoteIdent(schema)}.write_snapshots`;
    await db.query(
      `CREATE TABLE IF NOT EXISTS ${table} (stream_id text PRIMARY KEY, revision bigint NOT NULL, state jsonb NOT NULL)`,
    );
    return new WriteSnapshots(db, table);
  }

  async latest(stream: string): Promise<{ state: unknown; revision: bigint } | undefined> {
    const rows = (await this.db.query(`SELECT revision, state FROM ${this.table} WHERE stream_id = $1`, [
      stream,
    ])) as { revision: string; state: unknown }[];
    const row = rows[0];
    if (!row) return undefined;
    this.saved.set(stream, BigInt(row.revision));
    return { state: row.state, revision: BigInt(row.revision) };
  }

  async maybeSave(stream: string, revision: bigint, state: unknown): Promise<void> {
    const last = this.saved.get(stream) ?? -1n;
    if (revision - last < BigInt(WRITE_SNAPSHOT_EVERY)) return;
    await this.db.query(
      `INSERT INTO ${this.table} (stream_id, revision, state) VALUES ($1, $2, $3)
       ON CONFLICT (stream_id) DO UPDATE SET revision = EXCLUDED.revision, state = EXCLUDED.state
       WHERE ${this.table}.revision < EXCLUDED.revision`,
      [stream, String(revision), JSON.stringify(state)],
    );
    this.saved.set(stream, revision);
  }
}
