import { testInfra } from '@tagguard/testing';
import { DataSource } from 'typeorm';
import type { ChannelRow, DesiredState } from '../desired/desired-state';
import { DownstreamTables } from '../downstream.tables';
import type { DownstreamAccount, DownstreamGroup } from '../port/downstream-directory.port';
import { ChannelQueue } from './channel-queue';

/**
 * The queue compares what it would queue with what it last queued per key. That row is jsonb, which
 * reorders an object's keys: the comparison must not depend on key order, or every plan re-queues
 * every account and group in scope.
 */
describe('ChannelQueue on real PostgreSQL', () => {
  const schema = `channel_queue_${process.pid}`;
  let db: DataSource;
  let tables: DownstreamTables;
  const accounts: DownstreamAccount[] = [
    { employeeId: 'zhangsan', email: 'zhangsan@example.test', displayName: '张三', active: true },
    { employeeId: 'lisi', email: 'lisi@example.test', displayName: '李四', active: false },
  ];
  const groups: DownstreamGroup[] = [
    {
      groupId: 't1',
      displayName: '市场二组',
      email: 't1@example.test',
      memberEmployeeIds: ['zhangsan', 'lisi'],
    },
  ];
  // The desired state stands in for the directory mirror and the tag copy; the queue is what is tested.
  const desired = {
    accounts: async () => accounts.map((a) => ({ ...a })),
    groupsOf: async () => groups.map((g) => ({ ...g, memberEmployeeIds: [...g.memberEmployeeIds] })),
  } as unknown as DesiredState;
  const channel = (kind: ChannelRow['kind']): ChannelRow => ({
    tenantId: 'tenant-q',
    channelId: kind === 'employee_accounts' ? 'mail-accounts' : 'mail-groups',
    kind,
    connector: 'test',
    settings: { mailDomain: 'example.test', driftRepair: 'manual', driftIntervalSeconds: 300 },
    enabled: true,
    revision: 1,
  });

  beforeAll(async () => {
    db = await new DataSource({ type: 'postgres', url: testInfra().postgresUrl }).initialize();
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    tables = await DownstreamTables.create(db, schema);
  });
  afterAll(async () => {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.destroy();
  });

  it.each(['employee_accounts', 'tag_groups'] as const)(
    'given a %s channel planned once, when planned again with the same desired state, then nothing is queued',
    async (kind) => {
      const queue = new ChannelQueue(tables, desired);
      const first = await db.transaction((tx) => queue.plan(tx, channel(kind), { all: true }));
      expect(first).toBe(kind === 'employee_accounts' ? 2 : 1);
      const second = await db.transaction((tx) => queue.plan(tx, channel(kind), { all: true }));
      expect(second).toBe(0);
    },
  );

  it('given a change with an undefined field, when planned again, then it is not queued again (jsonb drops the key)', async () => {
    // e.g. an optional field a connector's desired state leaves out: JSON.stringify drops it, jsonb never has it.
    const withUndefined = {
      accounts: async () => accounts.map((a) => ({ ...a, displayName: a.displayName, alias: undefined })),
    } as unknown as DesiredState;
    const queue = new ChannelQueue(tables, withUndefined);
    const accountsChannel = { ...channel('employee_accounts'), channelId: 'mail-accounts-u' };
    expect(await db.transaction((tx) => queue.plan(tx, accountsChannel, { all: true }))).toBe(2);
    expect(await db.transaction((tx) => queue.plan(tx, accountsChannel, { all: true }))).toBe(0);
  });
});
