import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { testInfra } from '@tagguard/testing';
import { Client } from 'pg';
import { TagServiceHarness, type Caller } from '../../../testing/tag-service-harness';

type Listed = { tags?: { tagId: string }[] };

// Read-your-writes over gRPC, tag-service as a process. The test holds the projection back by locking
// its projected_streams table (every batch reads it first), so "the view has not caught up yet" is a
// state the test controls, not a race it hopes to win.
describe('read-your-writes: a read without a token after the caller’s own write', () => {
  let svc: TagServiceHarness;
  let db: Client;
  beforeAll(async () => {
    svc = await TagServiceHarness.start();
    db = new Client({ connectionString: testInfra().postgresUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await svc?.stop();
  });

  /** Runs `body` while the projection cannot apply anything. */
  async function withProjectionHeld<T>(body: () => Promise<T>): Promise<T> {
    await db.query('BEGIN');
    try {
      await db.query(`LOCK TABLE "${svc.schema}".projected_streams IN ACCESS EXCLUSIVE MODE`);
      return await body();
    } finally {
      await db.query('COMMIT');
    }
  }

  const create = (caller: Caller, tagId: string) =>
    svc.call(
      'tags',
      'CreateTag',
      { tagId, name: `VIP-${tagId.slice(0, 4)}`, kind: 'TAG_KIND_CUSTOMER' },
      caller,
    );
  const list = (caller: Caller) =>
    svc
      .call<Listed>('tags', 'ListTags', { pageSize: 100 }, caller)
      .then((r) => (r.tags ?? []).map((t) => t.tagId));

  it('sees its CreateTag in ListTags with no token, while another actor of the tenant reads without waiting', async () => {
    const writer = TagServiceHarness.admin();
    const colleague = TagServiceHarness.admin(writer.tenantId, 'admin-2');
    const tagId = randomUUID();
    let ownRead: Promise<string[]> | undefined;
    let ownReadSettled = false;
    await withProjectionHeld(async () => {
      await create(writer, tagId);
      ownRead = list(writer);
      void ownRead.finally(() => (ownReadSettled = true)).catch(() => undefined);
      // The colleague has written nothing here: answered from the view as it is, at once.
      expect(await list(colleague)).toEqual([]);
      expect(ownReadSettled).toBe(false);
    });
    expect(await ownRead).toEqual([tagId]);
  });

  it('after a keyed write that changed nothing (only its key was recorded), the caller reads at once', async () => {
    const writer = TagServiceHarness.admin();
    const tagId = randomUUID();
    const members = [{ kind: 'MEMBER_KIND_CUSTOMER', id: 'c1' }];
    await create(writer, tagId);
    await svc.call('members', 'AddMembers', { tagId, members }, writer);
    expect(await list(writer)).toEqual([tagId]);
    // Already a member: nothing to append but the key's claim, which the view never projects.
    await svc.call('members', 'AddMembers', { tagId, members, idempotencyKey: `k-${tagId}` }, writer);
    // Waiting for the claim's position, which the view never passes, would end in UNAVAILABLE.
    expect(await list(writer)).toEqual([tagId]);
  }, 30_000);

  it('still honours an explicit token from another caller’s write', async () => {
    const writer = TagServiceHarness.admin();
    const reader = TagServiceHarness.admin(writer.tenantId, 'admin-2');
    const tagId = randomUUID();
    let read: Promise<Listed> | undefined;
    await withProjectionHeld(async () => {
      const { result } = await svc.call<{ result: { consistencyToken: string } }>(
        'tags',
        'CreateTag',
        { tagId, name: 'VIP', kind: 'TAG_KIND_CUSTOMER' },
        writer,
      );
      read = svc.call<Listed>(
        'tags',
        'ListTags',
        { pageSize: 100, consistencyToken: result.consistencyToken },
        reader,
      );
      void read.catch(() => undefined);
    });
    expect(((await read)!.tags ?? []).map((t) => t.tagId)).toEqual([tagId]);
  });

  it('answers UNAVAILABLE when the view does not reach the caller’s write within 5 s, and reads normally after', async () => {
    const writer = TagServiceHarness.admin();
    const tagId = randomUUID();
    await withProjectionHeld(async () => {
      await create(writer, tagId);
      const failure = await svc.failure('tags', 'ListTags', { pageSize: 100 }, writer);
      expect(failure).toMatchObject({ code: status.UNAVAILABLE, errorCode: 'TAG.CONSISTENCY_TIMEOUT' });
    });
    expect(await list(writer)).toEqual([tagId]);
  }, 30_000);
});
