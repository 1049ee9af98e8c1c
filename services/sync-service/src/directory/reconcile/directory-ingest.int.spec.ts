import { randomUUID } from 'node:crypto';
import type { DirectorySnapshot, Employee } from '../domain/directory.model';
import { customerStream, employeeStream, partnerStream, treeStream } from '../streams';
import { EmployeeView } from '../projections/directory-view/directory-view.entities';
import { openDirectoryWriteSide, type DirectoryWriteSide } from '../testing/directory-write-side';

const emp = (employeeId: string, extra: Partial<Employee> = {}): Employee => ({
  employeeId,
  name: `name ${employeeId}`,
  departmentIds: ['2'],
  mainDepartmentId: '2',
  position: 'staff',
  status: 'active',
  leaderInDepartmentIds: [],
  ...extra,
});
const snapshot = (employees: Employee[]): DirectorySnapshot => ({
  departments: [
    { departmentId: '2', name: 'Sales', parentId: '1', order: 1, leaderIds: [] },
    { departmentId: '1', name: 'HQ', parentId: null, order: 0, leaderIds: [] },
  ],
  employees,
  partners: [{ corpId: 'wwp1', name: 'Supplier', relation: 'upstream' }],
  partnerStaff: [{ corpId: 'wwp1', staffId: 's1', name: 'Li' }],
  customers: [
    {
      externalUserId: 'wm1',
      name: 'Wang',
      corpName: 'Acme',
      followers: [{ employeeId: 'a', remark: 'vip', description: '', remarkCorpName: '', remarkMobiles: [] }],
    },
  ],
});

// Reconcile on a real PostgreSQL: only differences are written, a second run writes nothing, and an
// employee missing from the source leaves (kept, never deleted).
describe('DirectoryIngest.reconcile', () => {
  let side: DirectoryWriteSide;
  beforeAll(async () => {
    side = await openDirectoryWriteSide(`dir_rec_${randomUUID().slice(0, 8)}`);
  });
  afterAll(() => side?.close());
  const meta = { source: 'test' };
  /** The last revision of each of the tenant's streams (exact, unlike a global head position). */
  const revisions = (tenant: string) =>
    Promise.all(
      [
        treeStream(tenant),
        employeeStream(tenant, 'a'),
        employeeStream(tenant, 'b'),
        partnerStream(tenant, 'wwp1'),
        customerStream(tenant, 'wm1'),
      ].map(
        async (stream) =>
          (await side.store.readStream(stream, { direction: 'backwards', maxCount: 1 }))[0]!.revision,
      ),
    );

  it('writes the snapshot once; running it again writes nothing', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const pulled = { snapshot: snapshot([emp('a'), emp('b')]), failures: [] };
    const first = await side.ingest.reconcile(tenant, pulled, meta);
    expect(first.byKind.department.created).toBe(2);
    expect(first.byKind.employee.created).toBe(2);
    expect(first.byKind.customer.created).toBe(1);
    expect(first.byKind.partner_staff.created).toBe(1);
    expect(first.failures).toEqual([]);
    const before = await revisions(tenant);
    const second = await side.ingest.reconcile(tenant, pulled, meta);
    expect(second.eventsWritten).toBe(0);
    expect(await revisions(tenant)).toEqual(before);
    expect(second.byKind.employee).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
  });

  it('marks employees missing from the source as left, and writes only what changed', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    await side.ingest.reconcile(
      tenant,
      { snapshot: snapshot([emp('a'), emp('b'), emp('c')]), failures: [] },
      meta,
    );
    const report = await side.ingest.reconcile(
      tenant,
      { snapshot: snapshot([emp('a', { position: 'lead' }), emp('c')]), failures: [] },
      meta,
    );
    expect(report.byKind.employee).toMatchObject({ created: 0, updated: 1, statusChanged: 1, unchanged: 1 });
    // a's upsert (1) + b's upsert and status change (2)
    expect(report.eventsWritten).toBe(3);
    await side.commands.writer.settled(side.projection, 5_000);
    const b = await side.db
      .getRepository(EmployeeView)
      .findOneByOrFail({ tenantId: tenant, employeeId: 'b' });
    expect(b.status).toBe('left');
    const again = await side.ingest.reconcile(
      tenant,
      { snapshot: snapshot([emp('a', { position: 'lead' }), emp('c')]), failures: [] },
      meta,
    );
    expect(again.eventsWritten).toBe(0);
  });

  it('departs nobody of a department whose users failed, still applies updates, reports the skip; a clean pull departs', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    await side.ingest.reconcile(tenant, { snapshot: snapshot([emp('a'), emp('b')]), failures: [] }, meta);
    const failure = {
      ref: 'department/2/users',
      covers: { kind: 'department_users' as const, departmentId: '2' },
      errcode: 45009,
      errmsg: 'api freq out of limit',
    };
    const partial = await side.ingest.reconcile(
      tenant,
      { snapshot: snapshot([emp('a', { position: 'lead' })]), failures: [failure] },
      meta,
    );
    expect(partial.byKind.employee).toMatchObject({ updated: 1, statusChanged: 0 });
    expect(partial.eventsWritten).toBe(1);
    expect(partial.failures).toEqual([
      { ref: 'department/2/users', errcode: 45009, errmsg: 'api freq out of limit' },
    ]);
    expect(partial.skipped).toEqual([{ ref: 'employee/b', cause: 'department/2/users' }]);
    await side.commands.writer.settled(side.projection, 5_000);
    const status = async () =>
      (await side.db.getRepository(EmployeeView).findOneByOrFail({ tenantId: tenant, employeeId: 'b' }))
        .status;
    expect(await status()).toBe('active');
    const clean = await side.ingest.reconcile(
      tenant,
      { snapshot: snapshot([emp('a', { position: 'lead' })]), failures: [] },
      meta,
    );
    expect(clean.byKind.employee.statusChanged).toBe(1);
    await side.commands.writer.settled(side.projection, 5_000);
    expect(await status()).toBe('left');
  });

  it('reports what the deciders refuse (a cycle in the source) and writes the rest', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const pulled = snapshot([emp('a'), emp('bad', { mainDepartmentId: '9' })]);
    pulled.departments.push(
      { departmentId: 'x', name: 'X', parentId: 'y', order: 0, leaderIds: [] },
      { departmentId: 'y', name: 'Y', parentId: 'x', order: 0, leaderIds: [] },
    );
    const report = await side.ingest.reconcile(tenant, { snapshot: pulled, failures: [] }, meta);
    expect(report.failures.map((f) => f.ref).sort()).toEqual([
      'department/x',
      'department/y',
      'employee/bad',
    ]);
    expect(report.byKind.department.created).toBe(2);
    expect(report.byKind.employee.created).toBe(1);
  });

  it('applies one re-read object: absent employee → left, absent customer → removed', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    await side.ingest.reconcile(tenant, { snapshot: snapshot([emp('a')]), failures: [] }, meta);
    expect(
      await side.ingest.applyObject(tenant, { kind: 'employee', employeeId: 'a', value: 'absent' }, meta),
    ).toEqual({ changed: true });
    expect(
      await side.ingest.applyObject(tenant, { kind: 'employee', employeeId: 'a', value: 'absent' }, meta),
    ).toEqual({ changed: false });
    expect(
      await side.ingest.applyObject(
        tenant,
        { kind: 'customer', externalUserId: 'wm1', value: 'absent' },
        meta,
      ),
    ).toEqual({ changed: true });
    expect(
      await side.ingest.applyObject(tenant, { kind: 'employee', employeeId: 'never', value: 'absent' }, meta),
    ).toEqual({ changed: false });
    expect(
      await side.ingest.applyObject(
        tenant,
        {
          kind: 'department',
          departmentId: '3',
          value: { departmentId: '3', name: 'Ops', parentId: '1', order: 0, leaderIds: [] },
        },
        meta,
      ),
    ).toEqual({ changed: true });
  });
});
