import { randomUUID } from 'node:crypto';
import type { PostgresEventStore } from '@tagguard/event-store';
import { PostgresCheckpointStore } from '@tagguard/messaging';
import { eventually, testInfra } from '@tagguard/testing';
import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import type { CommandContext } from './commands/event-writer';
import { TagCommands } from './commands/tag-commands';
import type { MemberRef } from './domain/tag-catalog.events';
import { TagMemberView, TagNodeView } from './projections/catalog-view/catalog-view.entities';
import { CatalogViewProjection } from './projections/catalog-view/catalog-view.projection';
import { openReadModel } from './read-model';
import { ReadModelRebuilder } from './rebuild/read-model-rebuilder';
import { PurgeTimer } from './recycle-bin/purge-timer';
import { openWriteSide, type WriteSide } from '../testing/write-side';

// tag-service's write side, projection and timer in this process on a real PostgreSQL, with a clock the
// test moves: what the gRPC specs cannot do (wait 72 hours, restart mid-way, replay thousands of commands).
describe('tag catalogue on real PostgreSQL', () => {
  const schema = `tag_int_${randomUUID().slice(0, 8)}`;
  let now = new Date('2026-11-24T10:00:00.000Z');
  const clock = () => now;
  let store: PostgresEventStore;
  let db: DataSource;
  let checkpoints: PostgresCheckpointStore;
  let projection: CatalogViewProjection;
  let commands: TagCommands;
  let writeSide: WriteSide | undefined;

  beforeAll(async () => {
    writeSide = await openWriteSide(schema, clock);
    ({ store, db, checkpoints, projection, commands } = writeSide);
  });
  afterAll(() => writeSide?.close());

  const admin = (tenantId: string, actorId = 'admin-1'): CommandContext => ({
    principal: { tenantId, actorId, roles: ['tenant_admin'] },
  });
  const createTag = (
    ctx: CommandContext,
    nodeId: string,
    name: string,
    parentId: string | null = null,
    nodeType: 'group' | 'tag' = 'tag',
  ) =>
    commands.onCatalog(
      ctx,
      null,
      (base) => ({
        type: 'CreateNode',
        data: { ...base, nodeId, nodeType, kind: 'customer', name, parentId, description: '' },
      }),
      () => nodeId,
    );
  const deleteNode = (ctx: CommandContext, nodeId: string) =>
    commands.onCatalog(
      ctx,
      null,
      async (base, state) => ({
        type: 'DeleteNode',
        data: {
          ...base,
          nodeId,
          memberCounts: await commands.memberCounts(ctx.principal.tenantId, state, nodeId),
          operationId: randomUUID(),
          approvalId: randomUUID(),
        },
      }),
      () => nodeId,
    );
  const node = (tenantId: string, nodeId: string) =>
    db.getRepository(TagNodeView).findOneByOrFail({ tenantId, nodeId });

  it('purges a binned tag only after its 72 h, by a timer that keeps no state of its own: a new timer after a restart purges it', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const tagId = randomUUID();
    await createTag(admin(tenant), tagId, 'VIP客户');
    const { consistencyToken } = await deleteNode(admin(tenant), tagId);
    await projection.waitFor(positionOf(consistencyToken), 5_000);
    const timer = new PurgeTimer(commands, db, 60_000, clock);

    now = new Date('2026-11-27T09:59:59.000Z');
    await timer.tick();
    expect((await node(tenant, tagId)).status).toBe('binned');

    // "Restart": nothing of the first timer survives; a fresh one reads the due time from the database.
    now = new Date('2026-11-27T10:00:00.000Z');
    const afterRestart = new PurgeTimer(new TagCommands(store, clock), db, 60_000, clock);
    expect(await afterRestart.tick()).toBeGreaterThanOrEqual(1);
    await eventually(async () => expect((await node(tenant, tagId)).status).toBe('purged'));
    await expect(
      commands.onCatalog(
        admin(tenant),
        null,
        (base) => ({ type: 'RestoreNode', data: { ...base, nodeId: tagId } }),
        () => tagId,
      ),
    ).rejects.toMatchObject({
      code: 'TAG.NOT_FOUND',
    });
    now = new Date('2026-11-24T10:00:00.000Z');
  });

  it('expires an approval nobody decided, through the same timer', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const tagId = randomUUID();
    await createTag(admin(tenant), tagId, 'VIP客户');
    await commands.onCatalog(
      admin(tenant),
      null,
      (base) => ({ type: 'SetProtection', data: { ...base, nodeId: tagId, protected: true } }),
      () => tagId,
    );
    const { approval, consistencyToken } = await deleteNode(admin(tenant), tagId);
    expect(approval?.status).toBe('pending');
    await projection.waitFor(positionOf(consistencyToken), 5_000);
    now = new Date('2026-11-25T10:00:00.000Z');
    await new PurgeTimer(commands, db, 60_000, clock).tick();
    expect((await commands.catalog(tenant)).state.approvals.get(approval!.approvalId)?.status).toBe(
      'expired',
    );
    await expect(commands.approve(admin(tenant, 'admin-2'), approval!.approvalId)).rejects.toMatchObject({
      code: 'TAG.FAILED_PRECONDITION',
    });
    now = new Date('2026-11-24T10:00:00.000Z');
  });

  it('lets exactly one of two concurrent renames on the same revision win; the other is ABORTED', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const tagId = randomUUID();
    await createTag(admin(tenant), tagId, 'a');
    // Two instances of tag-service (no shared lock): the stream revision decides.
    const other = new TagCommands(store, clock);
    const rename = (c: TagCommands, name: string) =>
      c.onCatalog(
        admin(tenant),
        null,
        (base) => ({ type: 'RenameNode', data: { ...base, nodeId: tagId, name, expectedRevision: 0 } }),
        () => tagId,
      );
    const results = await Promise.allSettled([rename(commands, 'b'), rename(other, 'c')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({
      code: 'TAG.WRONG_EXPECTED_REVISION',
    });
  });

  it('property: any sequence of commands, replayed from the event store into a fresh read model (and folded in memory by the rebuild), gives the same read model', async () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('create' as const),
        parent: fc.nat(20),
        group: fc.boolean(),
        name: fc.constantFrom('VIP', 'ｖｉｐ', '意向', 'A', 'b '),
      }),
      fc.record({
        kind: fc.constant('rename' as const),
        target: fc.nat(20),
        name: fc.constantFrom('VIP', '大客户', 'x'),
      }),
      fc.record({ kind: fc.constant('move' as const), target: fc.nat(20), parent: fc.nat(20) }),
      fc.record({ kind: fc.constant('delete' as const), target: fc.nat(20) }),
      fc.record({ kind: fc.constant('restore' as const), target: fc.nat(20) }),
      fc.record({
        kind: fc.constant('add' as const),
        target: fc.nat(20),
        members: fc.array(fc.nat(8), { maxLength: 5 }),
      }),
      fc.record({
        kind: fc.constant('remove' as const),
        target: fc.nat(20),
        members: fc.array(fc.nat(8), { maxLength: 5 }),
      }),
      fc.record({ kind: fc.constant('visibility' as const), target: fc.nat(20), sensitive: fc.boolean() }),
    );
    let run = 0;
    let removalsApplied = 0;
    await fc.assert(
      fc.asyncProperty(
        // Every history starts with a tag that gains and loses members, then goes anywhere.
        fc
          .array(op, { minLength: 5, maxLength: 40 })
          .map((rest) => [
            { kind: 'create' as const, parent: 0, group: false, name: 'VIP' },
            { kind: 'add' as const, target: 0, members: [0, 1, 2] },
            { kind: 'remove' as const, target: 0, members: [1] },
            ...rest,
          ]),
        async (ops) => {
          const tenant = `prop-${run++}-${randomUUID().slice(0, 6)}`;
          const ctx = admin(tenant);
          const ids: string[] = [];
          const pick = (i: number) => ids[i % Math.max(ids.length, 1)];
          const refs = (ns: number[]): MemberRef[] => ns.map((n) => ({ kind: 'customer', id: `c${n}` }));
          let last = '';
          for (const o of ops) {
            try {
              let token = '';
              if (o.kind === 'create') {
                const id = randomUUID();
                token = (
                  await createTag(
                    ctx,
                    id,
                    o.name,
                    ids.length ? pick(o.parent)! : null,
                    o.group ? 'group' : 'tag',
                  )
                ).consistencyToken;
                ids.push(id);
              } else if (!ids.length) continue;
              else if (o.kind === 'rename')
                token = (
                  await commands.onCatalog(
                    ctx,
                    null,
                    (b) => ({ type: 'RenameNode', data: { ...b, nodeId: pick(o.target)!, name: o.name } }),
                    () => '',
                  )
                ).consistencyToken;
              else if (o.kind === 'move')
                token = (
                  await commands.onCatalog(
                    ctx,
                    null,
                    (b) => ({
                      type: 'MoveNode',
                      data: { ...b, nodeId: pick(o.target)!, parentId: pick(o.parent)! },
                    }),
                    () => '',
                  )
                ).consistencyToken;
              else if (o.kind === 'delete') token = (await deleteNode(ctx, pick(o.target)!)).consistencyToken;
              else if (o.kind === 'restore')
                token = (
                  await commands.onCatalog(
                    ctx,
                    null,
                    (b) => ({ type: 'RestoreNode', data: { ...b, nodeId: pick(o.target)! } }),
                    () => '',
                  )
                ).consistencyToken;
              else if (o.kind === 'visibility')
                token = (
                  await commands.onCatalog(
                    ctx,
                    null,
                    (b) => ({
                      type: 'ConfigureVisibility',
                      data: {
                        ...b,
                        nodeId: pick(o.target)!,
                        visibility: { scope: 'restricted', departments: [], roles: ['r'], members: [] },
                        sensitive: o.sensitive,
                      },
                    }),
                    () => '',
                  )
                ).consistencyToken;
              else {
                const result = await commands.onMembers(ctx, {
                  change: o.kind === 'add' ? 'add_members' : 'remove_members',
                  tagId: pick(o.target)!,
                  members: refs(o.members.length ? o.members : [0]),
                });
                token = result.consistencyToken;
                if (o.kind === 'remove' && token) removalsApplied++;
              }
              last = token || last;
            } catch (error) {
              // Invalid in this state (a 6th level, a duplicate name, a group with members…): nothing written.
              if (!(error as { code?: string }).code?.startsWith('TAG.')) throw error;
            }
          }
          if (last) await projection.waitFor(positionOf(last), 10_000);
          const live = await snapshot(db, tenant);

          const rebuiltSchema = `${schema}_r${run}`;
          const rebuiltDb = await openReadModel(testInfra().postgresUrl, rebuiltSchema);
          try {
            const rebuilt = new CatalogViewProjection(
              store,
              rebuiltDb,
              await PostgresCheckpointStore.create(rebuiltDb, rebuiltSchema),
              'rebuild',
              {},
              7, // small full batches: a replay crosses many batch boundaries
            );
            await rebuilt.start();
            if (last) await rebuilt.waitFor(positionOf(last), 30_000);
            await rebuilt.stop();
            expect(await snapshot(rebuiltDb, tenant)).toEqual(live);
          } finally {
            await rebuiltDb.query(`DROP SCHEMA "${rebuiltSchema}" CASCADE`);
            await rebuiltDb.destroy();
          }
          // The rebuild's in-memory fold (CatalogViewModel) produces the same rows as the SQL projection.
          const verified = await new ReadModelRebuilder(store, db, schema, projection, checkpoints).rebuild(
            { verifyOnly: true, acceptDifferences: false },
            () => undefined,
            new AbortController().signal,
          );
          expect(verified.checks.filter((c) => !c.equal)).toEqual([]);
          expect(verified.phase).toBe('kept_live');
          // And the read model agrees with the aggregate itself.
          const { state } = await commands.catalog(tenant);
          expect(live.nodes.map((n) => [n.nodeId, n.status, n.name, n.parentId])).toEqual(
            [...state.nodes.values()]
              .map((n) => [n.nodeId, n.status, n.name, n.parentId])
              .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
          );
          // The live projection and the rebuild share one mapping, so members and counts are also checked
          // against the members aggregates (the decider's own fold).
          for (const n of live.nodes.filter((v) => v.nodeType === 'tag')) {
            const { members } = (await commands.members(tenant, n.nodeId)).state;
            const rows = live.members.filter((m) => m.tagId === n.nodeId);
            expect([
              n.nodeId,
              n.memberCount,
              rows.map((m) => `${m.memberKind}:${m.memberId}`).sort(),
            ]).toEqual([n.nodeId, members.size, [...members.keys()].sort()]);
          }
        },
      ),
      { numRuns: 12 },
    );
    // The generator reached the interesting cases: members actually removed, not only refused.
    expect(removalsApplied).toBeGreaterThan(0);
  }, 180_000);
});

function positionOf(token: string) {
  const [commit, prepare] = token.split('/');
  return { commit: BigInt(commit!), prepare: BigInt(prepare!) };
}

async function snapshot(db: DataSource, tenantId: string) {
  const nodes = await db.getRepository(TagNodeView).find({ where: { tenantId }, order: { nodeId: 'ASC' } });
  const members = await db
    .getRepository(TagMemberView)
    .find({ where: { tenantId }, order: { tagId: 'ASC', memberKind: 'ASC', memberId: 'ASC' } });
  return { nodes, members };
}
