import { randomUUID } from 'node:crypto';
import { openDirectoryWriteSide, type DirectoryWriteSide } from '../../testing/directory-write-side';
import { DIRECTORY_CATEGORIES } from '../../streams';
import { DIRECTORY_VIEW_ENTITIES, EmployeeView, PartnerView } from './directory-view.entities';

// The directory view on a real PostgreSQL: applying the same events twice leaves the same rows.
describe('directory-view projection', () => {
  let side: DirectoryWriteSide;
  beforeAll(async () => {
    side = await openDirectoryWriteSide(`dir_view_${randomUUID().slice(0, 8)}`, false);
  });
  afterAll(() => side?.close());

  const tables = async () => {
    const out: Record<string, unknown[]> = {};
    for (const entity of DIRECTORY_VIEW_ENTITIES)
      out[entity.name] = await side.db
        .getRepository(entity)
        .createQueryBuilder('r')
        .orderBy()
        .getMany()
        .then((rows) => rows.map((r) => JSON.stringify(r)).sort());
    return out;
  };

  it('should be idempotent if run twice', async () => {
    const m = { tenantId: `t-${randomUUID().slice(0, 8)}`, actorId: 'admin' };
    const c = side.commands;
    await c.department(m, {
      type: 'UpsertDepartment',
      data: { department: { departmentId: '1', name: 'HQ', parentId: null, order: 0, leaderIds: [] } },
    });
    await c.department(m, {
      type: 'UpsertDepartment',
      data: { department: { departmentId: '2', name: 'Sales', parentId: '1', order: 0, leaderIds: [] } },
    });
    await c.employee(m, {
      type: 'UpsertEmployee',
      data: {
        employee: {
          employeeId: 'a',
          name: 'A',
          departmentIds: ['1', '2'],
          mainDepartmentId: '2',
          position: '',
          leaderInDepartmentIds: ['2'],
        },
      },
    });
    await c.employee(m, {
      type: 'MoveEmployee',
      data: { employeeId: 'a', fromDepartmentId: '1', toDepartmentId: '3' },
    });
    await c.employee(m, { type: 'SetEmployeeStatus', data: { employeeId: 'a', status: 'disabled' } });
    await c.partner(m, {
      type: 'UpsertPartner',
      data: { partner: { corpId: 'p', name: 'P', relation: 'downstream' } },
    });
    await c.partner(m, {
      type: 'UpsertPartnerStaff',
      data: { staff: { corpId: 'p', staffId: 's', name: 'S' } },
    });
    await c.customer(m, {
      type: 'UpsertCustomer',
      data: {
        customer: {
          externalUserId: 'x',
          name: 'X',
          corpName: '',
          followers: [
            { employeeId: 'a', remark: '', description: '', remarkCorpName: '', remarkMobiles: [] },
          ],
        },
      },
    });
    await c.customer(m, { type: 'RemoveCustomer', data: { externalUserId: 'x' } });
    await c.department(m, { type: 'RemoveDepartment', data: { departmentId: '2' } });
    const events = await side.store.readAll({ filter: { categories: DIRECTORY_CATEGORIES } });

    await side.projection.apply(events);
    const once = await tables();
    expect(once['EmployeeView']).toHaveLength(1);
    expect(JSON.parse(once['EmployeeView']![0] as string)).toMatchObject({
      status: 'disabled',
      departmentIds: ['3', '2'],
      revision: 3,
    });
    expect(once['EmployeeDepartmentView']).toHaveLength(2);
    expect(once['DepartmentView']).toHaveLength(1);
    expect(once['CustomerView']).toHaveLength(0);
    expect(once['CustomerFollowerView']).toHaveLength(0);
    expect(once['PartnerStaffView']).toHaveLength(1);

    await side.projection.apply(events);
    // A redelivered older stretch (a checkpoint saved late) must not roll rows back.
    await side.projection.apply(events.slice(0, 4));
    expect(await tables()).toEqual(once);
  });

  // A row's revision is the highest one seen, however the subscriber cuts its batches: a pending bump
  // (a staff change, a status change, whose row is not in the batch) must not overwrite a later upsert.
  it('should keep the newest revision when a bump and a later upsert share a batch', async () => {
    const m = { tenantId: `t-${randomUUID().slice(0, 8)}`, actorId: 'admin' };
    const c = side.commands;
    await c.partner(m, {
      type: 'UpsertPartner',
      data: { partner: { corpId: 'p', name: 'P', relation: 'downstream' } },
    });
    await c.partner(m, {
      type: 'UpsertPartnerStaff',
      data: { staff: { corpId: 'p', staffId: 's', name: 'S' } },
    });
    await c.partner(m, {
      type: 'UpsertPartner',
      data: { partner: { corpId: 'p', name: 'P renamed', relation: 'downstream' } },
    });
    await c.employee(m, {
      type: 'UpsertEmployee',
      data: {
        employee: {
          employeeId: 'e',
          name: 'E',
          departmentIds: [],
          mainDepartmentId: null,
          position: '',
          leaderInDepartmentIds: [],
        },
      },
    });
    // EmployeeUpserted (1) + EmployeeStatusChanged (2); then a rename (3).
    await c.employee(m, { type: 'SetEmployeeStatus', data: { employeeId: 'e', status: 'disabled' } });
    await c.employee(m, {
      type: 'UpsertEmployee',
      data: {
        employee: {
          employeeId: 'e',
          name: 'E renamed',
          departmentIds: [],
          mainDepartmentId: null,
          position: '',
          leaderInDepartmentIds: [],
        },
      },
    });
    const events = (await side.store.readAll({ filter: { categories: DIRECTORY_CATEGORIES } })).filter(
      (e) => e.metadata.tenantId === m.tenantId,
    );
    const partner = events.filter((e) => e.streamId.startsWith('directoryPartner-'));
    const employee = events.filter((e) => e.streamId.startsWith('directoryEmployee-'));
    expect(partner.map((e) => e.type)).toEqual([
      'PartnerUpserted',
      'PartnerStaffUpserted',
      'PartnerUpserted',
    ]);
    expect(employee.map((e) => e.type)).toEqual([
      'EmployeeUpserted',
      'EmployeeUpserted',
      'EmployeeStatusChanged',
      'EmployeeUpserted',
    ]);

    // Batch 1: the partner's first upsert, the employee's upsert and status upsert.
    await side.projection.apply([partner[0]!, ...employee.slice(0, 2)]);
    // Batch 2: the staff bump (row not in the batch) then the rename; the status event then the rename.
    await side.projection.apply([...partner.slice(1), ...employee.slice(2)]);

    const p = await side.db.getRepository(PartnerView).findOneByOrFail({ tenantId: m.tenantId, corpId: 'p' });
    expect({ name: p.name, revision: p.revision }).toEqual({ name: 'P renamed', revision: 2 });
    const e = await side.db
      .getRepository(EmployeeView)
      .findOneByOrFail({ tenantId: m.tenantId, employeeId: 'e' });
    expect({ name: e.name, status: e.status, revision: e.revision }).toEqual({
      name: 'E renamed',
      status: 'disabled',
      revision: 3,
    });
  });
});
