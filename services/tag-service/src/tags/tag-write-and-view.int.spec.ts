import { randomUUID } from 'node:crypto';
import { positionFromToken, PostgresEventStore, WrongExpectedRevisionError } from '@tagguard/event-store';
import { PostgresCheckpointStore } from '@tagguard/messaging';
import { testInfra } from '@tagguard/testing';
import type { DataSource } from 'typeorm';
import { TagCommandHandler } from './commands/tag-command.handler';
import { TagView } from './projections/tag-view/tag-view.entity';
import { TagViewProjection } from './projections/tag-view/tag-view.projection';
import { openReadModel } from './read-model';

// Command handler → event store → projection → TypeORM read model, on the real PostgreSQL server.
describe('tag commands and the tag view', () => {
  const suffix = randomUUID().replace(/-/g, '').slice(0, 8);
  let store: PostgresEventStore;
  let db: DataSource;
  let projection: TagViewProjection;
  let checkpoints: PostgresCheckpointStore;
  let handler: TagCommandHandler;
  const admin = (tenantId: string) => ({
    principal: { tenantId, actorId: 'admin-1', roles: ['tenant_admin'] },
  });
  const view = (tenantId: string, tagId: string) => db.getRepository(TagView).findOneBy({ tenantId, tagId });
  const seen = (token: string) => projection.waitFor(positionFromToken(token)!, 10_000);

  beforeAll(async () => {
    const { postgresUrl } = testInfra();
    store = await PostgresEventStore.connect({
      connectionString: postgresUrl,
      schema: `es_tag_${suffix}`,
      pollIntervalMs: 50,
    });
    db = await openReadModel(postgresUrl, `tag_${suffix}`);
    checkpoints = await PostgresCheckpointStore.create(db, `tag_${suffix}`);
    projection = new TagViewProjection(store, db, checkpoints);
    await projection.start();
    handler = new TagCommandHandler(store);
  });
  afterAll(async () => {
    await projection.stop();
    await store.close();
    await db.destroy();
  });

  it('creates, renames and deletes a tag; each write is visible once its consistency token is reached', async () => {
    const tagId = randomUUID();
    const created = await handler.handle(
      { type: 'CreateTag', data: { tenantId: '', tagId, name: ' VIP客户 ', kind: 'customer' } },
      admin('t1'),
    );
    expect(created.revision).toBe(0n);
    await seen(created.consistencyToken);
    expect(await view('t1', tagId)).toMatchObject({
      name: 'VIP客户',
      kind: 'customer',
      revision: '0',
      deleted: false,
    });

    const renamed = await handler.handle(
      { type: 'RenameTag', data: { tagId, name: '意向客户' } },
      admin('t1'),
      0n,
    );
    await seen(renamed.consistencyToken);
    expect(await view('t1', tagId)).toMatchObject({ name: '意向客户', revision: '1' });

    const deleted = await handler.handle({ type: 'DeleteTag', data: { tagId } }, admin('t1'), 1n);
    await seen(deleted.consistencyToken);
    expect(await view('t1', tagId)).toMatchObject({ deleted: true, revision: '2' });
  });

  it('answers a retried create with the first result and writes nothing more', async () => {
    const tagId = randomUUID();
    const command = {
      type: 'CreateTag' as const,
      data: { tenantId: '', tagId, name: '市场二组', kind: 'member' as const },
    };
    const first = await handler.handle(command, admin('t1'));
    const retry = await handler.handle(command, admin('t1'));
    expect(retry).toEqual(first);
    expect(await store.readStream(`tag-t1.${tagId}`)).toHaveLength(1);
  });

  it('rejects a stale expected revision and lets exactly one of two concurrent renames win', async () => {
    const tagId = randomUUID();
    await handler.handle(
      { type: 'CreateTag', data: { tenantId: '', tagId, name: 'a', kind: 'member' } },
      admin('t1'),
    );
    const results = await Promise.allSettled([
      handler.handle({ type: 'RenameTag', data: { tagId, name: 'b' } }, admin('t1'), 0n),
      handler.handle({ type: 'RenameTag', data: { tagId, name: 'c' } }, admin('t1'), 0n),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(
      WrongExpectedRevisionError,
    );
  });

  it("keeps tenants apart: another tenant's credentials cannot see or change a tag", async () => {
    const tagId = randomUUID();
    await handler.handle(
      { type: 'CreateTag', data: { tenantId: '', tagId, name: 'VIP客户', kind: 'customer' } },
      admin('tenant-a'),
    );
    await expect(
      handler.handle({ type: 'DeleteTag', data: { tagId } }, admin('tenant-b'), 0n),
    ).rejects.toMatchObject({ code: 'TAG.NOT_FOUND' });
  });

  it('rebuilds the same view when replayed from the start (idempotent projection)', async () => {
    await projection.waitFor(await store.headPosition(), 10_000);
    const before = await db.getRepository(TagView).find({ order: { tenantId: 'ASC', tagId: 'ASC' } });
    await projection.stop();
    await db.query(`DELETE FROM "tag_${suffix}".checkpoints WHERE name = 'tag-service.tag-view'`);
    const replay = new TagViewProjection(store, db, checkpoints);
    await replay.start();
    await replay.waitFor(await store.headPosition(), 10_000);
    await replay.stop();
    expect(await db.getRepository(TagView).find({ order: { tenantId: 'ASC', tagId: 'ASC' } })).toEqual(
      before,
    );
    await projection.start();
  });
});
