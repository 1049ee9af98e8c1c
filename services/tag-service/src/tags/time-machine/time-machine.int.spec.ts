import { randomUUID } from 'node:crypto';
import {
  comparePositions,
  type PostgresEventStore,
  positionFromToken,
  type GlobalPosition,
} from '@tagguard/event-store';
import type { PostgresCheckpointStore } from '@tagguard/messaging';
import { eventually } from '@tagguard/testing';
import type { DataSource } from 'typeorm';
import type { CommandContext } from '../commands/event-writer';
import type { TagCommands } from '../commands/tag-commands';
import type { CatalogViewProjection } from '../projections/catalog-view/catalog-view.projection';
import { ReadModelRebuilder, type RebuildProgress } from '../rebuild/read-model-rebuilder';
import { PurgeTimer } from '../recycle-bin/purge-timer';
import { SnapshotStore } from './snapshot-store';
import { SnapshotProcess } from './snapshot.process';
import { TimeMachine } from './time-machine';
import { TimeMachineReader } from './time-machine.reader';
import { openWriteSide, type WriteSide } from '../../testing/write-side';

// The time machine's parts in this process on a real PostgreSQL, with a clock the test moves.
describe('time machine on real PostgreSQL', () => {
  const schema = `tm_int_${randomUUID().slice(0, 8)}`;
  let now = new Date();
  const clock = () => now;
  let store: PostgresEventStore;
  let db: DataSource;
  let checkpoints: PostgresCheckpointStore;
  let projection: CatalogViewProjection;
  let commands: TagCommands;
  let snapshots: SnapshotStore;
  let reader: TimeMachineReader;
  let machine: TimeMachine;
  let writeSide: WriteSide | undefined;

  beforeAll(async () => {
    writeSide = await openWriteSide(schema, clock);
    ({ store, db, checkpoints, projection, commands } = writeSide);
    snapshots = await SnapshotStore.create(db, schema);
    reader = new TimeMachineReader(store, snapshots);
    machine = new TimeMachine(reader, commands, clock);
  });
  afterAll(() => writeSide?.close());

  const admin = (tenantId: string, roles = ['tenant_admin']): CommandContext => ({
    principal: { tenantId, actorId: 'admin-1', roles },
  });
  const create = (ctx: CommandContext, nodeId: string, name: string) =>
    commands.onCatalog(
      ctx,
      null,
      (b) => ({
        type: 'CreateNode',
        data: { ...b, nodeId, nodeType: 'tag', kind: 'customer', name, parentId: null, description: '' },
      }),
      () => nodeId,
    );
  const customers = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({ kind: 'customer' as const, id: `c${from + i}` }));

  it('answers every as-of read the same with snapshots, without them, and after deleting them all', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const tagId = randomUUID();
    const points: GlobalPosition[] = [];
    await create(admin(tenant), tagId, 'VIP客户');
    for (let i = 0; i < 60; i++) {
      const change = i % 3 === 2 ? 'remove_members' : 'add_members';
      const r = await commands.onMembers(admin(tenant), { change, tagId, members: customers(i * 2, 4) });
      if (i % 3 === 2)
        await commands.onCatalog(
          admin(tenant),
          null,
          (b) => ({ type: 'RenameNode', data: { ...b, nodeId: tagId, name: `VIP客户${i}` } }),
          () => tagId,
        );
      if (r.consistencyToken && i % 7 === 0) points.push(positionFromToken(r.consistencyToken)!);
    }
    const process = new SnapshotProcess(store, reader, snapshots, checkpoints, 10);
    await process.start();
    const head = await store.headPosition();
    await eventually(async () => {
      const done = await checkpoints.load('tag-service.snapshots');
      expect(done && comparePositions(done, head)).toBeGreaterThanOrEqual(0);
    }, 10_000);
    // The history is long enough that snapshots exist, so the reads below do use them.
    expect((await snapshots.latest(`tagMembers-${tenant}.${tagId}`))?.revision).toBeGreaterThanOrEqual(9n);
    expect((await snapshots.latest(`tagCatalog-${tenant}`))?.revision).toBeGreaterThanOrEqual(9n);
    await process.stop();

    const answers = async (useSnapshots: boolean) =>
      Promise.all(
        [...points.map((position) => ({ position })), undefined].map(async (at) => ({
          members: [...(await reader.membersAt(tenant, tagId, at, useSnapshots)).keys()].sort(),
          name: (await reader.catalogAt(tenant, at, useSnapshots)).nodes.get(tagId)?.name,
        })),
      );
    const withSnapshots = await answers(true);
    expect(withSnapshots.at(-1)!.members.length).toBeGreaterThan(0);
    expect(await answers(false)).toEqual(withSnapshots);
    await snapshots.deleteAll();
    expect(await answers(true)).toEqual(withSnapshots);
  });

  it('brings a purged tag back with its members only for the tag_recovery role, through the restore', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const tagId = randomUUID();
    now = new Date('2030-01-01T00:00:00.000Z');
    await create(admin(tenant), tagId, '意向客户');
    const added = await commands.onMembers(admin(tenant), {
      change: 'add_members',
      tagId,
      members: customers(0, 5),
    });
    const before = positionFromToken(added.consistencyToken)!;
    const deleted = await commands.onCatalog(
      admin(tenant),
      null,
      async (b, s) => ({
        type: 'DeleteNode',
        data: {
          ...b,
          nodeId: tagId,
          memberCounts: await commands.memberCounts(tenant, s, tagId),
          operationId: randomUUID(),
          approvalId: randomUUID(),
        },
      }),
      () => tagId,
    );
    await projection.waitFor(positionFromToken(deleted.consistencyToken)!, 5_000);
    now = new Date('2030-01-04T00:00:01.000Z');
    await new PurgeTimer(commands, db, 60_000, clock).tick();
    expect((await commands.catalog(tenant)).state.nodes.get(tagId)?.status).toBe('purged');

    const plan = await machine.plan(admin(tenant), tagId, { position: before });
    expect(plan.unpurged).toEqual([tagId]);
    expect(plan.changes).toEqual([{ change: 'restored', nodeId: tagId, name: '意向客户' }]);
    await expect(machine.restore(admin(tenant), tagId, { position: before }, 'r1')).rejects.toMatchObject({
      code: 'TAG.PERMISSION_DENIED',
      field: 'root_id',
    });
    await machine.restore(admin(tenant, ['tenant_admin', 'tag_recovery']), tagId, { position: before }, 'r2');
    const { state } = await commands.catalog(tenant);
    expect(state.nodes.get(tagId)).toMatchObject({ status: 'active', name: '意向客户' });
    expect((await commands.members(tenant, tagId)).state.members.size).toBe(5);
    now = new Date();
  });

  it('force re-initialize: swaps in an equal rebuild, reports and (only when accepted) cures a stale row, and a cancel leaves live as it was', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const tagId = randomUUID();
    await create(admin(tenant), tagId, '活动期');
    const last = await commands.onMembers(admin(tenant), {
      change: 'add_members',
      tagId,
      members: customers(0, 30),
    });
    await projection.waitFor(positionFromToken(last.consistencyToken)!, 5_000);
    const rebuilder = new ReadModelRebuilder(store, db, schema, projection, checkpoints);
    const run = (
      options = { verifyOnly: false, acceptDifferences: false },
      signal = new AbortController().signal,
    ) => {
      const seen: RebuildProgress[] = [];
      return rebuilder.rebuild(options, (p) => seen.push(p), signal).then((final) => ({ final, seen }));
    };

    const clean = await run();
    expect(clean.final.phase).toBe('swapped');
    expect(clean.final.checks.every((c) => c.equal)).toBe(true);
    expect(clean.final.eventsDone).toBeGreaterThanOrEqual(2);
    expect(clean.seen.map((p) => p.phase)).toEqual(expect.arrayContaining(['verifying', 'swapped']));

    // "Tag cache residue": a live row that no event explains.
    await db.query(`UPDATE "${schema}".tag_nodes SET name = 'residue' WHERE node_id = $1`, [tagId]);
    const kept = await run();
    expect(kept.final.phase).toBe('kept_live');
    expect(kept.final.checks.find((c) => c.table === 'tag_nodes')).toMatchObject({ equal: false });
    const cured = await run({ verifyOnly: false, acceptDifferences: true });
    expect(cured.final.phase).toBe('swapped');
    const [row] = (await db.query(`SELECT name FROM "${schema}".tag_nodes WHERE node_id = $1`, [tagId])) as {
      name: string;
    }[];
    expect(row!.name).toBe('活动期');

    // The live projection runs again after a swap: a new write is projected.
    const more = await commands.onMembers(admin(tenant), {
      change: 'add_members',
      tagId,
      members: customers(100, 1),
    });
    await projection.waitFor(positionFromToken(more.consistencyToken)!, 5_000);

    const abort = new AbortController();
    abort.abort();
    const cancelled = await run({ verifyOnly: false, acceptDifferences: true }, abort.signal);
    expect(cancelled.final.phase).toBe('cancelled');
    const [count] = (await db.query(`SELECT member_count FROM "${schema}".tag_nodes WHERE node_id = $1`, [
      tagId,
    ])) as { member_count: number }[];
    expect(count!.member_count).toBe(31);
  });

  it('force re-initialize loads a table larger than 20,000 rows (two COPY streams) without its primary key, and puts the key back', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const tagId = randomUUID();
    await create(admin(tenant), tagId, '全部客户');
    let token = '';
    for (let i = 0; i < 20_500; i += 1_000)
      token = (
        await commands.onMembers(admin(tenant), {
          change: 'add_members',
          tagId,
          members: customers(i, Math.min(1_000, 20_500 - i)),
        })
      ).consistencyToken;
    await projection.waitFor(positionFromToken(token)!, 30_000);
    const result = await new ReadModelRebuilder(store, db, schema, projection, checkpoints).rebuild(
      { verifyOnly: false, acceptDifferences: false },
      () => undefined,
      new AbortController().signal,
    );
    expect(result).toMatchObject({ phase: 'swapped' });
    expect(result.checks.find((c) => c.table === 'tag_members')).toMatchObject({ equal: true });
    const keys = (await db.query(
      `SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = '"${schema}".tag_members'::regclass AND contype = 'p'`,
    )) as { n: number }[];
    expect(keys[0]!.n).toBe(1);
  }, 120_000);
});
