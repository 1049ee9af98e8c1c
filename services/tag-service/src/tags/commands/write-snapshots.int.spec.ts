import { randomUUID } from 'node:crypto';
import type { EventStore, ReadStreamOptions } from '@tagguard/event-store';
import { eventually } from '@tagguard/testing';
import { openWriteSide, type WriteSide } from '../../testing/write-side';
import { SnapshotStore } from '../time-machine/snapshot-store';
import { encodeCatalog } from '../time-machine/state-codec';
import { IDEMPOTENCY_WINDOW_MS, type CommandContext } from './event-writer';
import { TagCommands } from './tag-commands';
import { WRITE_SNAPSHOT_EVERY, writeSnapshotId } from './write-snapshots';

// The write side's load is the latest snapshot + the events after it, answers included, on a real
// PostgreSQL; and an idempotency key is forgotten after its window.
describe('write-side snapshots and the idempotency window', () => {
  const schema = `ws_int_${randomUUID().slice(0, 8)}`;
  let now = new Date();
  const clock = () => now;
  let side: WriteSide | undefined;
  let snapshots: SnapshotStore;
  beforeAll(async () => {
    side = await openWriteSide(schema, clock);
    snapshots = await SnapshotStore.create(side.db, schema);
  });
  afterAll(() => side?.close());

  /** The store, counting the events a load reads. */
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
  const admin = (tenantId: string, idempotencyKey?: string): CommandContext => ({
    principal: { tenantId, actorId: 'admin-1', roles: ['tenant_admin'] },
    ...(idempotencyKey ? { idempotencyKey, callerKey: true } : {}),
  });
  const create = (commands: TagCommands, ctx: CommandContext, nodeId: string, name: string) =>
    commands.onCatalog(
      ctx,
      { create: nodeId, name },
      (b) => ({
        type: 'CreateNode',
        data: { ...b, nodeId, nodeType: 'tag', kind: 'customer', name, parentId: null, description: '' },
      }),
      () => nodeId,
    );

  it('a cold load reads the latest snapshot and at most WRITE_SNAPSHOT_EVERY events, with the same state and answers as a full replay', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const writer = new TagCommands(side!.store, clock, snapshots);
    const first = await create(writer, admin(tenant, 'first-key'), randomUUID(), 'tag-0');
    for (let i = 1; i < 2 * WRITE_SNAPSHOT_EVERY + 10; i++)
      await create(writer, admin(tenant), randomUUID(), `tag-${i}`);
    const stream = `tagCatalog-${tenant}`;
    // Saved off the write's path: wait for the second one.
    await eventually(async () => {
      const saved = await snapshots.latest(writeSnapshotId(stream));
      expect(saved?.revision).toBeGreaterThanOrEqual(BigInt(2 * WRITE_SNAPSHOT_EVERY - 1));
    }, 10_000);

    const { proxy, read } = counting(side!.store);
    const cold = new TagCommands(proxy, clock, snapshots);
    const loaded = await cold.catalog(tenant);
    expect(read.events).toBeLessThanOrEqual(WRITE_SNAPSHOT_EVERY);
    const replayed = await new TagCommands(side!.store, clock).catalog(tenant);
    expect(encodeCatalog(loaded.state)).toEqual(encodeCatalog(replayed.state));
    expect(loaded.revision).toBe(replayed.revision);
    // An answer recorded long before the snapshot still answers a retry from the cold instance.
    const nodeId = [...replayed.state.nodes.values()].find((n) => n.name === 'tag-0')!.nodeId;
    const retried = await create(cold, admin(tenant, 'first-key'), nodeId, 'tag-0');
    expect(retried).toEqual(first);
  });

  it('a key is remembered for the window from its answer, then treated as a new request', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const commands = new TagCommands(side!.store, clock, snapshots);
    const a = randomUUID();
    await create(commands, admin(tenant, 'weekly'), a, 'a');
    now = new Date(now.getTime() + IDEMPOTENCY_WINDOW_MS - 60_000);
    await expect(create(commands, admin(tenant, 'weekly'), randomUUID(), 'b')).rejects.toMatchObject({
      code: 'TAG.INVALID_ARGUMENT',
      field: 'idempotency_key',
    });
    now = new Date(now.getTime() + 120_000);
    const b = randomUUID();
    const fresh = await create(commands, admin(tenant, 'weekly'), b, 'b');
    expect(fresh.nodeId).toBe(b);
    const { state } = await new TagCommands(side!.store, clock).catalog(tenant);
    expect([...state.nodes.keys()].sort()).toEqual([a, b].sort());
  });
});
