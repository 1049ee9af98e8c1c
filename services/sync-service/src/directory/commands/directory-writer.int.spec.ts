import { randomUUID } from 'node:crypto';
import type { EventStore, ReadStreamOptions } from '@tagguard/event-store';
import { departmentTree } from '../departments/domain/department-tree.decider';
import { employee } from '../employees/domain/employee.decider';
import { employeeStream, treeStream } from '../streams';
import { openDirectoryWriteSide, type DirectoryWriteSide } from '../testing/directory-write-side';
import { DirectoryError } from '../domain/directory.errors';
import { DirectoryWriter, IDEMPOTENCY_WINDOW_MS } from './directory-writer';
import { WRITE_SNAPSHOT_EVERY, WriteSnapshots } from './write-snapshots';

// The one write path on a real PostgreSQL: two writers with their own caches retry on conflict and
// decide again; a "fresh" guess that is wrong costs a retry, never a wrong event; a cold load reads the
// snapshot and a short tail.
describe('DirectoryWriter', () => {
  const schema = `dir_w_${randomUUID().slice(0, 8)}`;
  let side: DirectoryWriteSide;
  beforeAll(async () => {
    side = await openDirectoryWriteSide(schema, false);
  });
  afterAll(() => side?.close());
  const meta = () => ({ tenantId: `t-${randomUUID().slice(0, 8)}`, actorId: 'admin' });
  const person = (position: string) => ({
    employeeId: 'a',
    name: 'A',
    departmentIds: ['1'],
    mainDepartmentId: '1',
    position,
    leaderInDepartmentIds: [],
  });
  const counting = (store: EventStore) => {
    const read = { events: 0 };
    const proxy = Object.create(store) as EventStore;
    proxy.readStream = async (stream: string, options?: ReadStreamOptions) => {
      const events = await store.readStream(stream, options);
      read.events += events.length;
      return events;
    };
    return { proxy, read };
  };

  it('decides again on the other writer’s events after a conflict (stale cache), and a wrong fresh guess too', async () => {
    const m = meta();
    const target = { stream: employeeStream(m.tenantId, 'a'), decider: employee };
    const one = new DirectoryWriter(side.store);
    const two = new DirectoryWriter(side.store);
    await one.write(target, { type: 'UpsertEmployee', data: { employee: person('p0') } }, m);
    await two.write(target, { type: 'UpsertEmployee', data: { employee: person('p1') } }, m);
    // one's cache still says revision 0: its append conflicts, it reloads and decides again.
    const out = await one.write(
      target,
      { type: 'SetEmployeeStatus', data: { employeeId: 'a', status: 'disabled' } },
      m,
    );
    expect(out).toMatchObject({ revision: 3, changed: true, eventsWritten: 2 });
    const fresh = await new DirectoryWriter(side.store).write(
      target,
      { type: 'UpsertEmployee', data: { employee: person('p1') } },
      m,
      { fresh: true },
    );
    expect(fresh).toMatchObject({ revision: 3, changed: false });
    const events = await side.store.readStream(target.stream);
    expect(
      events.map((e) => (e.data as { employee?: { position: string; status: string } }).employee),
    ).toEqual([
      expect.objectContaining({ position: 'p0' }),
      expect.objectContaining({ position: 'p1' }),
      expect.objectContaining({ position: 'p1', status: 'disabled' }),
      undefined,
    ]);
  });

  it('forgets an idempotency key after its window: the key then starts a new request', async () => {
    const m = meta();
    let now = new Date();
    const writer = new DirectoryWriter(side.store, undefined, () => now);
    const target = { stream: employeeStream(m.tenantId, 'a'), decider: employee };
    const upsert = (position: string) =>
      writer.once(m, 'k', { position }, async () => {
        const { revision, changed } = await writer.write(
          target,
          { type: 'UpsertEmployee', data: { employee: person(position) } },
          m,
        );
        return { revision, changed };
      });
    expect(await upsert('p0')).toMatchObject({ revision: 0 });
    await expect(upsert('p1')).rejects.toMatchObject({
      code: 'DIRECTORY.INVALID_ARGUMENT',
      field: 'idempotencyKey',
    });
    now = new Date(now.getTime() + IDEMPOTENCY_WINDOW_MS + 60_000);
    expect(await upsert('p1')).toMatchObject({ revision: 1, changed: true });
  });

  it('answers a write that changes nothing with the position of the object’s current state (its token)', async () => {
    const m = meta();
    const target = { stream: employeeStream(m.tenantId, 'a'), decider: employee };
    const upsert = { type: 'UpsertEmployee' as const, data: { employee: person('p0') } };
    const writer = new DirectoryWriter(side.store, undefined);
    const written = await writer.write(target, upsert, m);
    // The same writer (cached state) and a cold one (reads the stream) alike.
    const warm = await writer.write(target, upsert, m);
    const cold = await new DirectoryWriter(side.store, undefined).write(target, upsert, m);
    expect(written.position).toBeDefined();
    expect(warm).toEqual({ revision: 0, position: written.position, changed: false, eventsWritten: 0 });
    expect(cold).toEqual(warm);
  });

  // An idempotency key is held by a lease (D51): a slow first attempt is not taken over while it lives,
  // and a key never gives two answers.
  describe('a key whose first request is still running', () => {
    const lease = { heartbeatMs: 50, leaseMs: 300, maxWaitMs: 10_000 };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const keyEvents = async (tenantId: string) =>
      (await side.store.readAll({ filter: { categories: ['directoryRequestKey'] } }))
        .filter((e) => e.metadata.tenantId === tenantId)
        .map((e) => e.type)
        .filter((t) => t !== 'RequestKeyHeartbeat');

    it('given a first attempt running past the lease, then a retry waits for its answer and the write runs once', async () => {
      const m = meta();
      const first = new DirectoryWriter(side.store, undefined, undefined, lease);
      const retry = new DirectoryWriter(side.store, undefined, undefined, lease);
      let runs = 0;
      const slow = first.once(m, 'k', { import: 1 }, async () => {
        runs++;
        await sleep(lease.leaseMs * 4);
        return { answer: 'first' };
      });
      await sleep(lease.heartbeatMs);
      const again = retry.once(m, 'k', { import: 1 }, async () => {
        runs++;
        return { answer: 'retry' };
      });
      expect(await Promise.all([slow, again])).toEqual([{ answer: 'first' }, { answer: 'first' }]);
      expect(runs).toBe(1);
      expect(await keyEvents(m.tenantId)).toEqual(['RequestKeyClaimed', 'RequestKeyAnswered']);
    });

    it('given a claimant taken over after it went silent, then its late answer is the taker’s, never its own', async () => {
      const m = meta();
      // Its heartbeats never come in time: to the retry it looks gone (a process paused for a while).
      const paused = new DirectoryWriter(side.store, undefined, undefined, { ...lease, heartbeatMs: 60_000 });
      const retry = new DirectoryWriter(side.store, undefined, undefined, lease);
      const late = paused.once(m, 'k', { import: 1 }, async () => {
        await sleep(lease.leaseMs * 4);
        return { answer: 'paused' };
      });
      await sleep(lease.heartbeatMs);
      const taken = await retry.once(m, 'k', { import: 1 }, async () => ({ answer: 'retry' }));
      expect(taken).toEqual({ answer: 'retry' });
      expect(await late).toEqual({ answer: 'retry' });
      expect(await keyEvents(m.tenantId)).toEqual([
        'RequestKeyClaimed',
        'RequestKeyClaimed',
        'RequestKeyAnswered',
      ]);
    });

    it('given a refused request, then its key is free for the corrected request', async () => {
      const m = meta();
      const writer = new DirectoryWriter(side.store, undefined, undefined, lease);
      const refused = new DirectoryError('DIRECTORY.NOT_FOUND', 'department 9 does not exist', 'parentId');
      await expect(
        writer.once(m, 'k', { parentId: '9' }, async () => {
          throw refused;
        }),
      ).rejects.toBe(refused);
      expect(await writer.once(m, 'k', { parentId: '1' }, async () => ({ answer: 'corrected' }))).toEqual({
        answer: 'corrected',
      });
      expect(await writer.once(m, 'k', { parentId: '1' }, async () => ({ answer: 'again' }))).toEqual({
        answer: 'corrected',
      });
    });

    it('given a first attempt that failed on an outage, then the key is released and the retry runs it', async () => {
      const m = meta();
      const writer = new DirectoryWriter(side.store, undefined, undefined, lease);
      await expect(
        writer.once(m, 'k', { import: 1 }, async () => {
          throw new DirectoryError('DIRECTORY.UNAVAILABLE', 'the store is down');
        }),
      ).rejects.toMatchObject({ code: 'DIRECTORY.UNAVAILABLE' });
      expect(await writer.once(m, 'k', { import: 1 }, async () => ({ answer: 'retry' }))).toEqual({
        answer: 'retry',
      });
      expect(await keyEvents(m.tenantId)).toEqual([
        'RequestKeyClaimed',
        'RequestKeyReleased',
        'RequestKeyClaimed',
        'RequestKeyAnswered',
      ]);
    });
  });

  it('loads a long department tree cold from its snapshot and the events after it', async () => {
    const m = meta();
    const snapshots = await WriteSnapshots.create(side.db, schema);
    const writer = new DirectoryWriter(side.store, snapshots);
    const target = { stream: treeStream(m.tenantId), decider: departmentTree };
    const total = WRITE_SNAPSHOT_EVERY + 20;
    for (let i = 0; i < total; i++)
      await writer.write(
        target,
        {
          type: 'UpsertDepartment',
          data: {
            department: { departmentId: `d${i}`, name: `d${i}`, parentId: null, order: i, leaderIds: [] },
          },
        },
        m,
      );
    const { proxy, read } = counting(side.store);
    const cold = new DirectoryWriter(proxy, await WriteSnapshots.create(side.db, schema));
    const tree = await cold.state(target);
    expect(Object.keys(tree.departments)).toHaveLength(total);
    expect(read.events).toBeLessThan(WRITE_SNAPSHOT_EVERY);
    expect(read.events).toBeGreaterThan(0);
  });
});
