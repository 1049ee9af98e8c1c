import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { testInfra } from '@tagguard/testing';
import { Client } from 'pg';
import { SyncServiceHarness, type Caller } from '../../../testing/sync-service-harness';

type Listed = { customers?: { externalUserId: string }[] };
type Write = { result: { consistencyToken: string; changed: boolean } };

// Read-your-writes over gRPC, sync-service as a process. The test holds the directory view back by locking
// its projected_streams table (every batch reads it first), so "the view has not caught up yet" is a state
// the test controls, not a race it hopes to win.
describe('sync-service read-your-writes: a read without a token after the caller’s own write', () => {
  const schema = `sync_ryw_${randomUUID().slice(0, 8)}`;
  let svc: SyncServiceHarness;
  let db: Client;
  beforeAll(async () => {
    svc = await SyncServiceHarness.start({ DATABASE_SCHEMA: schema, EVENTSTORE_SCHEMA: `${schema}_es` });
    db = new Client({ connectionString: testInfra().postgresUrl });
    await db.connect();
  }, 60_000);
  afterAll(async () => {
    await db?.end();
    await svc?.stop();
  });

  async function withViewHeld<T>(body: () => Promise<T>): Promise<T> {
    await db.query('BEGIN');
    try {
      await db.query(`LOCK TABLE "${schema}".projected_streams IN ACCESS EXCLUSIVE MODE`);
      return await body();
    } finally {
      await db.query('COMMIT');
    }
  }

  const colleagueOf = (caller: Caller): Caller => ({ ...caller, actorId: 'admin-2' });
  const upsert = (caller: Caller, externalUserId: string, idempotencyKey = '') =>
    svc.call<Write>(
      'UpsertCustomer',
      { externalUserId, name: 'Wang', followers: [], idempotencyKey },
      caller,
    );
  const list = (caller: Caller, consistencyToken = '') =>
    svc
      .call<Listed>('ListCustomers', { consistencyToken }, caller)
      .then((r) => (r.customers ?? []).map((c) => c.externalUserId));

  it('sees its UpsertCustomer in ListCustomers with no token, while another actor of the tenant reads without waiting', async () => {
    const writer = SyncServiceHarness.admin();
    let ownRead: Promise<string[]> | undefined;
    let ownReadSettled = false;
    await withViewHeld(async () => {
      await upsert(writer, 'wm1');
      ownRead = list(writer);
      void ownRead.finally(() => (ownReadSettled = true)).catch(() => undefined);
      // The colleague wrote nothing: answered from the view as it is, at once.
      expect(await list(colleagueOf(writer))).toEqual([]);
      expect(ownReadSettled).toBe(false);
    });
    expect(await ownRead).toEqual(['wm1']);
  }, 30_000);

  it('after a keyed write that changed nothing (only its key was recorded), the caller reads at once', async () => {
    const writer = SyncServiceHarness.admin();
    await upsert(writer, 'wm1');
    expect(await list(writer)).toEqual(['wm1']);
    expect((await upsert(writer, 'wm1', `k-${randomUUID()}`)).result.changed).toBe(false);
    // Waiting for a position the view never passes would end in UNAVAILABLE.
    expect(await list(writer)).toEqual(['wm1']);
  }, 30_000);

  it('still honours an explicit token from another caller’s write', async () => {
    const writer = SyncServiceHarness.admin();
    let read: Promise<string[]> | undefined;
    await withViewHeld(async () => {
      const { result } = await upsert(writer, 'wm2');
      read = list(colleagueOf(writer), result.consistencyToken);
      void read.catch(() => undefined);
    });
    expect(await read).toEqual(['wm2']);
  }, 30_000);

  it('answers UNAVAILABLE when the view does not reach the caller’s write within 5 s, and reads normally after', async () => {
    const writer = SyncServiceHarness.admin();
    await withViewHeld(async () => {
      await upsert(writer, 'wm3');
      const failure = await svc.failure('ListCustomers', {}, writer);
      expect(failure).toMatchObject({ code: status.UNAVAILABLE, errorCode: 'DIRECTORY.UNAVAILABLE' });
    });
    expect(await list(writer)).toEqual(['wm3']);
  }, 30_000);
});
