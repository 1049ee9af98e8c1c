import { randomUUID } from 'node:crypto';
import { testInfra } from '@tagguard/testing';
import type { DataSource } from 'typeorm';
import { openReadModel } from '../read-model';
import { SnapshotStore } from './snapshot-store';

describe('SnapshotStore on real PostgreSQL', () => {
  const schema = `snap_${randomUUID().slice(0, 8)}`;
  let db: DataSource;
  let snapshots: SnapshotStore;
  const stream = 'tagMembers-t1.tag-1';
  const start = Date.parse('2026-11-01T00:00:00Z');

  beforeAll(async () => {
    db = await openReadModel(testInfra().postgresUrl, schema);
    snapshots = await SnapshotStore.create(db, schema);
    // Given snapshots every 500 events, up to revision 9,999 (revision r at position 1000 + r, minute r).
    for (let revision = 499; revision < 10_000; revision += 500)
      await snapshots.save({
        streamId: stream,
        revision: BigInt(revision),
        position: { commit: 1_000n + BigInt(revision), prepare: BigInt(revision) },
        recordedAt: new Date(start + revision * 60_000),
        state: [{ kind: 'customer', id: `c${revision}` }],
      });
  });

  afterAll(async () => {
    await db.query(`DROP SCHEMA "${schema}" CASCADE`);
    await db.destroy();
  });

  it('finds the nearest snapshot at or before a position, a time, or now (numeric order: 4,999 after 999)', async () => {
    const atPosition = await snapshots.latest(stream, { position: { commit: 6_000n, prepare: 5_000n } });
    expect(atPosition?.revision).toBe(4_999n);
    const atTime = await snapshots.latest(stream, { timestamp: new Date(start + 5_100 * 60_000) });
    expect(atTime?.revision).toBe(4_999n);
    expect((await snapshots.latest(stream))?.revision).toBe(9_999n);
    expect(await snapshots.latest(stream, { position: { commit: 1_000n, prepare: 0n } })).toBeUndefined();
  });
});
