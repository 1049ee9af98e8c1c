import type { EventStore, RecordedEvent } from '@tagguard/event-store';
import type { CheckpointStore } from '@tagguard/messaging';
import { testInfra } from '@tagguard/testing';
import type { DataSource } from 'typeorm';
import { openReadModel } from '../../directory/projections/directory-view/read-model';
import { employeeStream, treeStream } from '../../directory/streams';
import { DesiredState } from '../desired/desired-state';
import { DownstreamTables, rows } from '../downstream.tables';
import type { DownstreamChange } from './change';
import { ChannelQueue } from './channel-queue';
import { DirectoryPlanner, toChannelRow } from './directory-planner';

/**
 * A directory batch re-plans only the mail groups its changes can touch (D78): the planner on real
 * PostgreSQL, the directory mirror written here as the projection would have (the planner waits for it),
 * the batch handed straight to apply().
 */
describe('DirectoryPlanner: a batch recomputes only the groups it touches', () => {
  const schema = `planner_${process.pid}`;
  const tenantId = 'tenant-p';
  let db: DataSource;
  let t: DownstreamTables;
  let queue: ChannelQueue;
  let planner: DirectoryPlanner;
  let position = 1n;

  const event = (streamId: string, type: string, data: object): RecordedEvent =>
    ({
      eventId: `e${position}`,
      streamId,
      type,
      data,
      metadata: { tenantId, actorId: 'test', correlationId: 'c', occurredAt: new Date().toISOString() },
      revision: 0n,
      position: { commit: position, prepare: position++ },
      recordedAt: new Date(),
    }) as unknown as RecordedEvent;
  const employeeChanged = (employeeId: string) =>
    event(employeeStream(tenantId, employeeId), 'EmployeeUpserted', { employee: { employeeId } });
  const departmentChanged = (departmentId: string) =>
    event(treeStream(tenantId), 'DepartmentUpserted', { department: { departmentId } });
  const inDepartment = (employeeId: string, departmentId: string) =>
    db.query(
      `INSERT INTO "${schema}".employee_departments (tenant_id, employee_id, department_id, status)
       VALUES ($1, $2, $3, 'active') ON CONFLICT DO NOTHING`,
      [tenantId, employeeId, departmentId],
    );
  const queued = async (from: number) =>
    (
      await rows<{ key: string; change: DownstreamChange }>(
        db,
        `SELECT key, change FROM ${t.outbox} WHERE seq > $1 ORDER BY seq`,
        [from],
      )
    ).map((r) =>
      r.change.op === 'upsertGroup' ? `${r.key} ${r.change.group.memberEmployeeIds.join(',')}` : r.key,
    );
  const lastSeq = async () =>
    Number((await rows<{ n: string }>(db, `SELECT coalesce(max(seq), 0) AS n FROM ${t.outbox}`))[0]!.n);

  beforeAll(async () => {
    const url = testInfra().postgresUrl;
    db = await openReadModel(url, schema);
    t = await DownstreamTables.create(db, schema);
    queue = new ChannelQueue(t, new DesiredState(t, schema));
    const checkpoints: CheckpointStore = { load: async () => undefined, save: async () => undefined };
    planner = new DirectoryPlanner(
      {} as EventStore,
      db,
      { waitFor: async () => undefined },
      t,
      queue,
      checkpoints,
    );
    // m1 ⊃ m2 (市场部 / 市场二部), x1 elsewhere; zhangsan in m1, lisi in m2, wangwu in x1.
    for (const [id, parent] of [
      ['m1', ''],
      ['m2', 'm1'],
      ['x1', ''],
    ])
      await db.query(
        `INSERT INTO "${schema}".departments (tenant_id, department_id, name, parent_id, sort_order, leader_ids, revision)
         VALUES ($1, $2, $2, $3, 0, '[]', 0)`,
        [tenantId, id, parent],
      );
    for (const [id, department] of [
      ['zhangsan', 'm1'],
      ['lisi', 'm2'],
      ['wangwu', 'x1'],
    ]) {
      await db.query(
        `INSERT INTO "${schema}".employees (tenant_id, employee_id, name, department_ids, position, status,
           leader_in_department_ids, revision) VALUES ($1, $2, $2, '[]', '', 'active', '[]', 0)`,
        [tenantId, id],
      );
      await inDepartment(id!, department!);
    }
    // 市场二组: department m1 (so m2 too); 李四的组: lisi herself; 其他组: department x1.
    for (const [tag, kind, member] of [
      ['t-market', 'department', 'm1'],
      ['t-lisi', 'employee', 'lisi'],
      ['t-other', 'department', 'x1'],
    ]) {
      await db.query(
        `INSERT INTO ${t.tags} (tenant_id, tag_id, name, kind, node_type, status) VALUES ($1, $2, $2, 'member', 'tag', 'active')`,
        [tenantId, tag],
      );
      await db.query(
        `INSERT INTO ${t.tagMembers} (tenant_id, tag_id, member_kind, member_id) VALUES ($1, $2, $3, $4)`,
        [tenantId, tag, kind, member],
      );
    }
    await db.query(
      `INSERT INTO ${t.channels} (tenant_id, channel_id, kind, connector, settings, enabled, revision)
       VALUES ($1, 'mail-groups', 'tag_groups', 'test', $2::jsonb, true, 1)`,
      [
        tenantId,
        JSON.stringify({ mailDomain: 'corp.example', driftRepair: 'manual', driftIntervalSeconds: 300 }),
      ],
    );
    const [channel] = await rows<Parameters<typeof toChannelRow>[0]>(db, `SELECT * FROM ${t.channels}`);
    await db.transaction((tx) => queue.plan(tx, toChannelRow(channel!), { all: true }, { force: true }));
  });
  afterAll(async () => {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.destroy();
  });

  it("given lisi's change, then only the groups holding her (directly, or through m2 ⊂ m1) are recomputed; 其他组 is not", async () => {
    queue.stats.groupsRecomputed = 0;
    const from = await lastSeq();
    await db.query(`UPDATE "${schema}".employees SET status = 'disabled' WHERE employee_id = 'lisi'`);
    await db.query(
      `UPDATE "${schema}".employee_departments SET status = 'disabled' WHERE employee_id = 'lisi'`,
    );
    await planner.apply([employeeChanged('lisi')]);
    expect(queue.stats.groupsRecomputed).toBe(2);
    expect(await queued(from)).toEqual(['group/t-lisi ', 'group/t-market zhangsan']);
  });

  it('given lisi moved from m2 to x1, then her old group (from what was last queued) and her new one are recomputed', async () => {
    await db.query(`UPDATE "${schema}".employees SET status = 'active' WHERE employee_id = 'lisi'`);
    await db.query(
      `UPDATE "${schema}".employee_departments SET status = 'active' WHERE employee_id = 'lisi'`,
    );
    await planner.apply([employeeChanged('lisi')]);
    const from = await lastSeq();
    queue.stats.groupsRecomputed = 0;
    await db.query(`DELETE FROM "${schema}".employee_departments WHERE employee_id = 'lisi'`);
    await inDepartment('lisi', 'x1');
    await planner.apply([employeeChanged('lisi')]);
    expect(queue.stats.groupsRecomputed).toBe(3);
    expect((await queued(from)).sort()).toEqual(['group/t-market zhangsan', 'group/t-other lisi,wangwu']);
  });

  it('given department x1 moved under m1, then 市场二组 gains its employees (only groups holding x1, an ancestor or its employees are recomputed)', async () => {
    const from = await lastSeq();
    queue.stats.groupsRecomputed = 0;
    await db.query(`UPDATE "${schema}".departments SET parent_id = 'm1' WHERE department_id = 'x1'`);
    await planner.apply([departmentChanged('x1')]);
    // 市场二组 (x1 is now under m1), 其他组 (holds x1) and 李四的组 (holds lisi, of x1): the last two unchanged.
    expect(queue.stats.groupsRecomputed).toBe(3);
    expect(await queued(from)).toEqual(['group/t-market lisi,wangwu,zhangsan']);
  });
});
