import { randomUUID } from 'node:crypto';
import type { DirectoryIntegrationEventV1 } from '@tagguard/contracts';
import { testInfra } from '@tagguard/testing';
import type { DataSource } from 'typeorm';
import { openReadModel } from '../read-model';
import { DirectoryCopy } from './directory-copy';
import { toCopyRow } from './domain/directory-copy.rows';

const tenantId = 'tenant-a';
const employee = (revision: string, status: 'active' | 'disabled' | 'left', name = 'Alice') =>
  ({
    type: 'directory.employee_upserted.v1',
    data: {
      tenantId,
      revision,
      employeeId: 'alice',
      name,
      departmentIds: ['d1'],
      mainDepartmentId: 'd1',
      position: 'sales',
      status,
      leaderInDepartmentIds: [],
    },
  }) satisfies DirectoryIntegrationEventV1;
const statusChanged = (revision: string, status: 'active' | 'disabled' | 'left', previousStatus = 'active') =>
  ({
    type: 'directory.employee_status_changed.v1',
    data: { tenantId, revision, employeeId: 'alice', status, previousStatus },
  }) as DirectoryIntegrationEventV1;

describe('the directory copy on real PostgreSQL', () => {
  const schema = `dircopy_${randomUUID().slice(0, 8)}`;
  let db: DataSource;
  let copy: DirectoryCopy;
  const at = new Date('2026-12-01T10:00:00Z');
  const apply = (event: DirectoryIntegrationEventV1) => copy.apply(toCopyRow(event), at);
  const rows = () =>
    db.query(
      `SELECT kind, object_id, revision, removed, status, partial, data FROM "${schema}".directory_objects ORDER BY kind, object_id`,
    );

  beforeAll(async () => {
    db = await openReadModel(testInfra().postgresUrl, schema);
    copy = new DirectoryCopy(db, schema);
  });
  afterAll(async () => {
    await db?.query(`DROP SCHEMA "${schema}" CASCADE`);
    await db?.destroy();
  });
  beforeEach(() => db.query(`TRUNCATE "${schema}".directory_objects`));

  it('is idempotent: the same events applied twice leave the same rows, and the second pass changes nothing', async () => {
    const events: DirectoryIntegrationEventV1[] = [
      employee('0', 'active'),
      {
        type: 'directory.partner_enterprise_upserted.v1',
        data: { tenantId, revision: '0', corpId: 'wx-corp-1', name: '星巴克', relation: 'downstream' },
      },
      { type: 'directory.customer_removed.v1', data: { tenantId, revision: '3', externalUserId: 'wm-1' } },
    ];
    expect(await Promise.all(events.map(apply))).toEqual([true, true, true]);
    const once = await rows();
    expect(await Promise.all(events.map(apply))).toEqual([false, false, false]);
    expect(await rows()).toEqual(once);
    expect(once.map((r: { kind: string; removed: boolean }) => [r.kind, r.removed])).toEqual([
      ['customer', true],
      ['employee', false],
      ['partner', false],
    ]);
  });

  it('ignores an event not newer than the copy: revision 2 after revision 5 leaves revision 5', async () => {
    expect(await apply(employee('5', 'disabled', 'Alice (5)'))).toBe(true);
    expect(await apply(employee('2', 'active', 'Alice (2)'))).toBe(false);
    expect(await apply(employee('5', 'active', 'Alice (5 again)'))).toBe(false);
    const [row] = await rows();
    expect(row).toMatchObject({ revision: '5', status: 'disabled', data: { name: 'Alice (5)' } });
    expect(await copy.employeeStatus(tenantId, 'alice')).toBe('disabled');
  });

  it('keeps a removal as a tombstone: an older upsert arriving late does not bring the object back', async () => {
    const dept = (revision: string) =>
      ({
        type: 'directory.department_upserted.v1',
        data: {
          tenantId,
          revision,
          departmentId: 'd1',
          name: '销售部',
          parentId: null,
          order: 1,
          leaderIds: [],
        },
      }) satisfies DirectoryIntegrationEventV1;
    await apply(dept('0'));
    await apply({
      type: 'directory.department_removed.v1',
      data: { tenantId, revision: '2', departmentId: 'd1' },
    });
    expect(await apply(dept('1'))).toBe(false);
    const facts = await copy.facts(tenantId, [{ kind: 'department', id: 'd1' }]);
    expect(facts.known.get('department:d1')).toEqual({ removed: true });
  });

  it('takes a status change published beside its upsert in either order, and the upsert still completes the row', async () => {
    await apply(employee('3', 'active'));
    // The status change of revision 4 arrives before the upsert of revision 4.
    expect(await apply(statusChanged('4', 'left'))).toBe(true);
    expect(await copy.employeeStatus(tenantId, 'alice')).toBe('left');
    expect(await apply(employee('4', 'left', 'Alice Liu'))).toBe(true);
    expect(await apply(statusChanged('4', 'left'))).toBe(false);
    const [row] = await rows();
    expect(row).toMatchObject({ revision: '4', status: 'left', partial: false, data: { name: 'Alice Liu' } });
  });

  it('answers facts per tenant: not mirrored before its first event, then what it holds by kind and id', async () => {
    const members = [
      { kind: 'employee' as const, id: 'alice' },
      { kind: 'employee' as const, id: 'nobody' },
    ];
    expect(await copy.facts('tenant-b', members)).toEqual({ mirrored: false, known: new Map() });
    await apply(employee('0', 'disabled'));
    const facts = await copy.facts(tenantId, members);
    expect(facts.mirrored).toBe(true);
    expect([...facts.known]).toEqual([['employee:alice', { removed: false, status: 'disabled' }]]);
    expect((await copy.facts('tenant-b', members)).mirrored).toBe(false);
  });

  it("answers a caller's facts for the permission engine: its departments and status, and every ancestor of them (removed departments end the chain)", async () => {
    const department = (departmentId: string, parentId: string | null, revision = '0') =>
      ({
        type: 'directory.department_upserted.v1',
        data: { tenantId, revision, departmentId, name: departmentId, parentId, order: 0 },
      }) as DirectoryIntegrationEventV1;
    expect(await copy.callerFacts('tenant-b', 'alice')).toEqual({
      mirrored: false,
      employeeId: 'alice',
      parents: new Map(),
    });
    for (const d of [
      department('hq', null),
      department('sales', 'hq'),
      department('d1', 'sales'),
      department('ops', 'hq'),
    ])
      await apply(d);
    await apply(employee('0', 'disabled'));
    expect(await copy.callerFacts(tenantId, 'alice')).toEqual({
      mirrored: true,
      employeeId: 'alice',
      employee: { departmentIds: ['d1'], status: 'disabled' },
      parents: new Map([
        ['d1', 'sales'],
        ['sales', 'hq'],
        ['hq', null],
      ]),
    });
    expect(await copy.callerFacts(tenantId, 'nobody')).toEqual({
      mirrored: true,
      employeeId: 'nobody',
      parents: new Map(),
    });
    await apply({
      type: 'directory.department_removed.v1',
      data: { tenantId, revision: '1', departmentId: 'sales' },
    });
    expect((await copy.callerFacts(tenantId, 'alice')).parents).toEqual(new Map([['d1', 'sales']]));
  });

  it('refuses a payload missing the object id or with a status it does not know, naming the field', () => {
    expect(() =>
      toCopyRow({ type: 'directory.customer_removed.v1', data: { tenantId, revision: '1' } } as never),
    ).toThrow('field "externalUserId"');
    expect(() => toCopyRow(statusChanged('1', 'gone' as never))).toThrow('field "status"');
    expect(() => toCopyRow(employee('x1', 'active'))).toThrow('field "revision"');
    expect(() =>
      toCopyRow({ ...employee('1', 'active'), data: { ...employee('1', 'active').data, tenantId: '' } }),
    ).toThrow('field "tenantId"');
  });
});
