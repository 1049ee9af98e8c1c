import { randomUUID } from 'node:crypto';
import { comparePositions, positionFromToken, type RecordedEvent } from '@tagguard/event-store';
import { PostgresCheckpointStore } from '@tagguard/messaging';
import { eventually, testInfra } from '@tagguard/testing';
import type { CommandContext } from '../../commands/event-writer';
import { openReadModel } from '../../read-model';
import { TAG_SERVICE_CATEGORIES } from '../../streams';
import { openWriteSide, type WriteSide } from '../../../testing/write-side';
import { CATALOG_VIEW_ENTITIES } from './catalog-view.entities';
import { CatalogViewProjection } from './catalog-view.projection';

// The live projection applies whatever batches the subscription hands it: one event, thousands, or a
// batch delivered again after a crash. Each must end in the same tables.
describe('catalog view projection on real PostgreSQL', () => {
  const schema = `cvp_int_${randomUUID().slice(0, 8)}`;
  const now = new Date('2026-11-24T10:00:00.000Z');
  let side: WriteSide | undefined;
  let history: RecordedEvent[] = [];

  beforeAll(async () => {
    side = await openWriteSide(schema, () => now);
    const { commands } = side;
    const ctx: CommandContext = {
      principal: { tenantId: 't-1', actorId: 'admin-1', roles: ['tenant_admin'] },
    };
    const other: CommandContext = { principal: { ...ctx.principal, actorId: 'admin-2' } };
    const create = (nodeId: string, name: string, parentId: string | null = null) =>
      commands.onCatalog(
        ctx,
        null,
        (base) => ({
          type: 'CreateNode',
          data: { ...base, nodeId, nodeType: 'tag', kind: 'customer', name, parentId, description: '' },
        }),
        () => nodeId,
      );
    const customers = (ids: number[]) => ids.map((i) => ({ kind: 'customer' as const, id: `c${i}` }));
    const [a, b] = [randomUUID(), randomUUID()];
    await create(a, 'VIP');
    await create(b, '意向');
    await commands.onMembers(ctx, { change: 'add_members', tagId: a, members: customers([1, 2, 3, 4]) });
    await commands.onMembers(ctx, { change: 'remove_members', tagId: a, members: customers([2, 9]) });
    await commands.onMembers(ctx, { change: 'add_members', tagId: a, members: customers([2]) });
    await commands.onMembers(ctx, { change: 'add_members', tagId: b, members: customers([1]) });
    await commands.onCatalog(
      ctx,
      null,
      (base) => ({ type: 'RenameNode', data: { ...base, nodeId: b, name: '大客户' } }),
      () => b,
    );
    await commands.onCatalog(
      ctx,
      null,
      (base) => ({ type: 'SetProtection', data: { ...base, nodeId: a, protected: true } }),
      () => a,
    );
    // A protected tag's delete waits for a second person: an approval row, then the bin.
    const { approval } = await commands.onCatalog(
      ctx,
      null,
      async (base, state) => ({
        type: 'DeleteNode',
        data: {
          ...base,
          nodeId: a,
          memberCounts: await commands.memberCounts('t-1', state, a),
          operationId: randomUUID(),
          approvalId: randomUUID(),
        },
      }),
      () => a,
    );
    const approved = await commands.approve(other, approval!.approvalId);
    // Reads are gap-safe: a transaction still open elsewhere in the database (another test's) holds the
    // visible log back for a moment, so wait until it reaches the last write.
    const lastWrite = positionFromToken(approved.consistencyToken)!;
    history = await eventually(async () => {
      const all = await side!.store.readAll({ filter: { categories: TAG_SERVICE_CATEGORIES } });
      expect(comparePositions(all[all.length - 1]!.position, lastWrite)).toBeGreaterThanOrEqual(0);
      return all;
    });
  });
  afterAll(() => side?.close());

  /** Fresh read model, the given deliveries in order (or its own subscription): every table's rows and the checkpoint. */
  async function project(deliveries: RecordedEvent[][] | { subscribedInBatchesOf: number }) {
    const target = `${schema}_${randomUUID().slice(0, 6)}`;
    const db = await openReadModel(testInfra().postgresUrl, target);
    try {
      const checkpoints = await PostgresCheckpointStore.create(db, target);
      const batchSize = Array.isArray(deliveries) ? undefined : deliveries.subscribedInBatchesOf;
      const projection = new CatalogViewProjection(side!.store, db, checkpoints, 'under-test', {}, batchSize);
      if (Array.isArray(deliveries)) for (const batch of deliveries) await projection.apply(batch);
      else {
        await projection.start();
        await projection.waitFor(history[history.length - 1]!.position, 10_000);
        await projection.stop();
      }
      const tables: Record<string, unknown[]> = {};
      for (const entity of CATALOG_VIEW_ENTITIES) {
        const meta = db.getMetadata(entity);
        const keys = meta.primaryColumns.map((c) => `"${c.databaseName}"`).join(', ');
        tables[meta.tableName] = (await db.query(
          `SELECT * FROM "${target}"."${meta.tableName}" ORDER BY ${keys}`,
        )) as unknown[];
      }
      return { tables, checkpoint: await checkpoints.load('under-test') };
    } finally {
      await db.query(`DROP SCHEMA "${target}" CASCADE`);
      await db.destroy();
    }
  }

  it('gives the same rows for one batch, one event at a time, and batches delivered again (replays are no-ops)', async () => {
    const n = history.length;
    expect(n).toBeGreaterThan(10);
    const whole = await project([history]);
    expect(whole.tables['tag_approvals']).toHaveLength(1);
    expect(whole.tables['tag_members']).toHaveLength(5);
    expect(whole.checkpoint).toEqual(history[n - 1]!.position);

    const singlesTwice = await project(history.flatMap((e) => [[e], [e]]));
    const third = Math.ceil(n / 3);
    // Overlapping windows, then the whole history again (a restart from an old checkpoint).
    const overlapping = await project([
      history.slice(0, third),
      history.slice(1, 2 * third),
      history.slice(third, n),
      history,
    ]);
    expect(singlesTwice).toEqual(whole);
    expect(overlapping).toEqual(whole);
  });

  it('gives the same rows through its own subscription in full batches, each written while the next is read', async () => {
    const whole = await project([history]);
    expect(await project({ subscribedInBatchesOf: 3 })).toEqual(whole);
  });
});
