import { quoteIdent, type GlobalPosition } from '@tagguard/event-store';
import type { DataSource } from 'typeorm';

export interface Snapshot {
  streamId: string;
  /** The revision of the last event folded into the state. */
  revision: bigint;
  position: GlobalPosition;
  recordedAt: Date;
  state: unknown;
}

/**
 * Aggregate snapshots: derived data that only shortens reads. Deleting every row changes no answer (a
 * test holds us to that); a missing or unreadable snapshot means "replay from the start".
 */
export class SnapshotStore {
  private constructor(
    private readonly db: DataSource,
    private readonly table: string,
  ) {}

  static async create(db: DataSource, schema: string): Promise<SnapshotStore> {
    const table = `${quoteIdent(schema)}.stream_snapshots`;
    await db.query(`CREATE TABLE IF NOT EXISTS ${table} (
      stream_id text NOT NULL, revision bigint NOT NULL, position_commit numeric(20) NOT NULL,
      position_prepare numeric(20) NOT NULL, recorded_at timestamptz NOT NULL, state jsonb NOT NULL,
      PRIMARY KEY (stream_id, revision))`);
    return new SnapshotStore(db, table);
  }

  async save(snapshot: Snapshot): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.table} (stream_id, revision, position_commit, position_prepare, recorded_at, state)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [
        snapshot.streamId,
        String(snapshot.revision),
        String(snapshot.position.commit),
        String(snapshot.position.prepare),
        snapshot.recordedAt,
        JSON.stringify(snapshot.state),
      ],
    );
  }

  /** The latest snapshot whose last event was recorded at or before `at` (a time or a global position). */
  async latest(
    streamId: string,
    at?: { timestamp: Date } | { position: GlobalPosition },
  ): Promise<Snapshot | undefined> {
    const where =
      at === undefined
        ? ''
        : 'timestamp' in at
          ? 'AND recorded_at <= $2'
          : 'AND (position_commit, position_prepare) <= ($2::numeric, $3::numeric)';
    const params: unknown[] =
      at === undefined
        ? [streamId]
        : 'timestamp' in at
          ? [streamId, at.timestamp]
          : [streamId, String(at.position.commit), String(at.position.prepare)];
    const rows = (await this.db.query(
      // Ordered by the column s.revision, not the text output column of the same name ("999" > "4999").
      `SELECT s.revision::text AS revision, s.position_commit::text AS commit,
              s.position_prepare::text AS prepare, s.recorded_at, s.state
         FROM ${this.table} s WHERE s.stream_id = $1 ${where} ORDER BY s.revision DESC LIMIT 1`,
      params,
    )) as { revision: string; commit: string; prepare: string; recorded_at: Date; state: unknown }[];
    const row = rows[0];
    if (!row) return undefined;
    return {
      streamId,
      revision: BigInt(row.revision),
      position: { commit: BigInt(row.commit), prepare: BigInt(row.prepare) },
      recordedAt: row.recorded_at,
      state: row.state,
    };
  }

  /** Older snapshots of a stream (the write side keeps only its latest). */
  async deleteBefore(streamId: string, revision: bigint): Promise<void> {
    await this.db.query(`DELETE FROM ${this.table} WHERE stream_id = $1 AND revision < $2`, [
      streamId,
      String(revision),
    ]);
  }

  async deleteAll(): Promise<void> {
    await this.db.query(`DELETE FROM ${this.table}`);
  }
}
