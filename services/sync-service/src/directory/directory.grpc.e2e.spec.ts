import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { DIRECTORY_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import { checkHealth, eventually, testInfra } from '@tagguard/testing';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { SyncServiceHarness, type Caller } from '../testing/sync-service-harness';

type Write = { result: { revision: string; consistencyToken: string; changed: boolean } };
type Employee = {
  employeeId: string;
  status: string;
  departmentIds: string[];
  mainDepartmentId: string;
  revision: string;
};

describe('tagguard.sync.v1.DirectoryService over gRPC', () => {
  let svc: SyncServiceHarness;
  let admin: Caller;
  beforeAll(async () => {
    svc = await SyncServiceHarness.start();
  });
  afterAll(() => svc?.stop());
  beforeEach(() => {
    admin = SyncServiceHarness.admin();
  });
  const department = (departmentId: string, parentId = '', extra: object = {}) =>
    svc.call<Write>(
      'UpsertDepartment',
      { departmentId, name: `dept ${departmentId}`, parentId, ...extra },
      admin,
    );
  const employee = (employeeId: string, departmentIds = ['1'], extra: object = {}) =>
    svc.call<Write>(
      'UpsertEmployee',
      { employeeId, name: `name ${employeeId}`, departmentIds, ...extra },
      admin,
    );

  it('keeps departments, employees, partners and customers, and reads them back at a consistency token', async () => {
    await department('1');
    await department('2', '1', { order: 5, leaderIds: ['zs'] });
    const created = await employee('zs', ['1', '2'], {
      mainDepartmentId: '2',
      position: 'lead',
      leaderInDepartmentIds: ['2'],
    });
    expect(created.result).toMatchObject({ revision: '0', changed: true });
    const { employee: got } = await svc.call<{ employee: Employee }>(
      'GetEmployee',
      { employeeId: 'zs', consistencyToken: created.result.consistencyToken },
      admin,
    );
    expect(got).toMatchObject({
      employeeId: 'zs',
      status: 'EMPLOYEE_STATUS_ACTIVE',
      departmentIds: ['1', '2'],
      mainDepartmentId: '2',
      revision: '0',
    });

    await svc.call('MoveEmployee', { employeeId: 'zs', fromDepartmentId: '1', toDepartmentId: '2' }, admin);
    await svc.call('DisableEmployee', { employeeId: 'zs' }, admin);
    const enabled = await svc.call<Write>('EnableEmployee', { employeeId: 'zs' }, admin);
    const left = await svc.call<Write>(
      'MarkEmployeeLeft',
      { employeeId: 'zs', expectedRevision: enabled.result.revision },
      admin,
    );
    const { employees } = await svc.call<{ employees: Employee[] }>(
      'ListEmployees',
      { departmentId: '2', status: 'EMPLOYEE_STATUS_LEFT', consistencyToken: left.result.consistencyToken },
      admin,
    );
    expect(employees.map((e) => [e.employeeId, e.status, e.departmentIds])).toEqual([
      ['zs', 'EMPLOYEE_STATUS_LEFT', ['2']],
    ]);
    expect((await svc.failure('EnableEmployee', { employeeId: 'zs' }, admin)).code).toBe(
      status.FAILED_PRECONDITION,
    );

    const { departments } = await svc.call<{ departments: { departmentId: string; leaderIds: string[] }[] }>(
      'ListDepartments',
      { parentId: '1' },
      admin,
    );
    expect(departments).toEqual([
      expect.objectContaining({ departmentId: '2', leaderIds: ['zs'], order: '5' }),
    ]);

    await svc.call(
      'UpsertPartner',
      { corpId: 'wwp', name: 'Supplier', relation: 'PARTNER_RELATION_UPSTREAM' },
      admin,
    );
    const staff = await svc.call<Write>(
      'UpsertPartnerStaff',
      { corpId: 'wwp', staffId: 's1', name: 'Li' },
      admin,
    );
    const { partner } = await svc.call<{ partner: object }>(
      'GetPartner',
      { corpId: 'wwp', consistencyToken: staff.result.consistencyToken },
      admin,
    );
    expect(partner).toMatchObject({
      relation: 'PARTNER_RELATION_UPSTREAM',
      staff: [{ staffId: 's1', name: 'Li' }],
      revision: '1',
    });

    const follower = {
      employeeId: 'zs',
      remark: 'VIP',
      description: 'met at\nthe fair',
      remarkCorpName: 'Acme',
      remarkMobiles: ['13800000000'],
    };
    const c = await svc.call<Write>(
      'UpsertCustomer',
      { externalUserId: 'wm1', name: 'Wang', corpName: 'Acme', followers: [follower] },
      admin,
    );
    await svc.call('UpsertCustomer', { externalUserId: 'wm2', name: 'Zhao', followers: [] }, admin);
    const { customers } = await svc.call<{ customers: { externalUserId: string; followers: object[] }[] }>(
      'ListCustomers',
      { followerId: 'zs', consistencyToken: c.result.consistencyToken },
      admin,
    );
    expect(customers).toEqual([expect.objectContaining({ externalUserId: 'wm1', followers: [follower] })]);
    const removed = await svc.call<Write>('RemoveCustomer', { externalUserId: 'wm1' }, admin);
    expect(removed.result.changed).toBe(true);
    expect(
      (
        await svc.failure(
          'GetCustomer',
          { externalUserId: 'wm1', consistencyToken: removed.result.consistencyToken },
          admin,
        )
      ).code,
    ).toBe(status.NOT_FOUND);
  });

  it('refuses bad input as INVALID_ARGUMENT naming the field, and writes nothing', async () => {
    await department('1');
    const bad = async (method: string, request: object) => {
      const f = await svc.failure(method, request, admin);
      return [f.code, f.field];
    };
    expect(await bad('UpsertDepartment', { departmentId: '2', name: '   ', parentId: '1' })).toEqual([
      status.INVALID_ARGUMENT,
      'name',
    ]);
    expect(await bad('UpsertDepartment', { departmentId: '2', name: 'x', parentId: '9' })).toEqual([
      status.NOT_FOUND,
      'parent_id',
    ]);
    expect(await bad('MoveDepartment', { departmentId: '1', parentId: '1' })).toEqual([
      status.INVALID_ARGUMENT,
      'parent_id',
    ]);
    expect(
      await bad('UpsertEmployee', {
        employeeId: 'a',
        name: 'A',
        departmentIds: ['1'],
        mainDepartmentId: '7',
      }),
    ).toEqual([status.INVALID_ARGUMENT, 'main_department_id']);
    expect(await bad('UpsertEmployee', { employeeId: 'a', name: 'A', departmentIds: ['1', '8'] })).toEqual([
      status.NOT_FOUND,
      'department_ids[1]',
    ]);
    expect(await bad('UpsertPartner', { corpId: 'p', name: 'P' })).toEqual([
      status.INVALID_ARGUMENT,
      'relation',
    ]);
    expect(
      await bad('UpsertCustomer', {
        externalUserId: 'wm',
        name: 'W',
        followers: [{ employeeId: 'a', remarkMobiles: ['call me'] }],
      }),
    ).toEqual([status.INVALID_ARGUMENT, 'followers[0].remark_mobiles[0]']);
    expect(await bad('UpsertEmployee', { employeeId: 'a\u0007', name: 'A', departmentIds: ['1'] })).toEqual([
      status.INVALID_ARGUMENT,
      'employee_id',
    ]);
    expect(await bad('ListEmployees', { pageToken: 'nope' })).toEqual([
      status.INVALID_ARGUMENT,
      'page_token',
    ]);
    expect((await svc.failure('GetEmployee', { employeeId: 'a' }, admin)).code).toBe(status.NOT_FOUND);
    const { departments } = await svc.call<{ departments: object[] }>(
      'ListDepartments',
      { parentId: '1' },
      admin,
    );
    expect(departments).toEqual([]);
  });

  it('answers a concurrent writer with a stale expected revision ABORTED', async () => {
    await department('1');
    const { result } = await employee('a');
    const outcomes = await Promise.allSettled(
      ['p1', 'p2'].map((position) => employee('a', ['1'], { position, expectedRevision: result.revision })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason.code).toBe(status.ABORTED);
    expect(rejected.reason.metadata.get('tg-field')[0]).toBe('expected_revision');
  });

  it('binds an idempotency key to its request: a retry gets the first answer, another request with it is refused', async () => {
    await department('1');
    const first = await employee('a', ['1'], { idempotencyKey: 'k-1' });
    const moved = await employee('a', ['1'], { position: 'moved on' });
    // A write that changes nothing still answers a token: that of the object's current state.
    const same = await employee('a', ['1'], { position: 'moved on' });
    expect(same.result).toEqual({ ...moved.result, changed: false });
    const retry = await employee('a', ['1'], { idempotencyKey: 'k-1' });
    expect(retry).toEqual(first);
    const other = await svc.failure(
      'UpsertEmployee',
      { employeeId: 'b', name: 'B', departmentIds: ['1'], idempotencyKey: 'k-1' },
      admin,
    );
    expect([other.code, other.field]).toEqual([status.INVALID_ARGUMENT, 'idempotency_key']);
    // A refusal writes nothing and frees its key (as in tag-service): the same bad request is refused
    // the same way, and the corrected request may use the key.
    const bad = { employeeId: 'c', name: '', departmentIds: ['1'], idempotencyKey: 'k-2' };
    expect((await svc.failure('UpsertEmployee', bad, admin)).field).toBe('name');
    expect((await svc.failure('UpsertEmployee', bad, admin)).field).toBe('name');
    const corrected = await employee('c', ['1'], { idempotencyKey: 'k-2' });
    expect(corrected.result).toMatchObject({ revision: '0', changed: true });
  });

  it('imports a batch with a result per item, and refuses more than 1,000 items naming the field', async () => {
    const items = [
      { department: { departmentId: '1', name: 'HQ' } },
      { employee: { employeeId: 'a', name: 'A', departmentIds: ['1'] } },
      { employee: { employeeId: 'b', name: '', departmentIds: ['1'] } },
      { department: { departmentId: '2', name: 'Sales', parentId: '9' } },
      { customer: { externalUserId: 'wm', name: 'W', followers: [{ employeeId: 'a' }] } },
      {},
    ];
    const out = await svc.call<{
      results: { index: number; status: string; field: string }[];
      succeeded: number;
      failed: number;
    }>('ImportDirectory', { items }, admin);
    expect(out.results.map((r) => [r.index, r.status, r.field])).toEqual([
      [0, 'OK', ''],
      [1, 'OK', ''],
      [2, 'INVALID_ARGUMENT', 'items[2].employee.name'],
      [3, 'NOT_FOUND', 'items[3].department.parent_id'],
      [4, 'OK', ''],
      [5, 'INVALID_ARGUMENT', 'items[5]'],
    ]);
    expect([out.succeeded, out.failed]).toEqual([3, 3]);
    const many = Array.from({ length: 1_001 }, (_, i) => ({
      employee: { employeeId: `e${i}`, name: 'E', departmentIds: ['1'] },
    }));
    const refused = await svc.failure('ImportDirectory', { items: many }, admin);
    expect([refused.code, refused.field]).toEqual([status.INVALID_ARGUMENT, 'items']);
    expect((await svc.failure('GetEmployee', { employeeId: 'e0' }, admin)).code).toBe(status.NOT_FOUND);
  });

  it('pages with opaque cursors that stay stable while rows are inserted', async () => {
    await department('1');
    for (const id of ['e1', 'e3', 'e5', 'e7']) await employee(id);
    const last = await employee('e9');
    type Page = { employees: Employee[]; nextPageToken: string };
    const p1 = await svc.call<Page>(
      'ListEmployees',
      { departmentId: '1', pageSize: 2, consistencyToken: last.result.consistencyToken },
      admin,
    );
    expect(p1.employees.map((e) => e.employeeId)).toEqual(['e1', 'e3']);
    // Inserted before and after the cursor: neither repeats a row nor skips one that was there.
    await employee('e0');
    const e4 = await employee('e4');
    const p2 = await svc.call<Page>(
      'ListEmployees',
      {
        departmentId: '1',
        pageSize: 2,
        pageToken: p1.nextPageToken,
        consistencyToken: e4.result.consistencyToken,
      },
      admin,
    );
    expect(p2.employees.map((e) => e.employeeId)).toEqual(['e4', 'e5']);
    const p3 = await svc.call<Page>(
      'ListEmployees',
      { departmentId: '1', pageSize: 2, pageToken: p2.nextPageToken },
      admin,
    );
    expect(p3.employees.map((e) => e.employeeId)).toEqual(['e7', 'e9']);
    expect(p3.nextPageToken).toBe('');
  });

  it('reports the directory service, its projection and its relay in health', async () => {
    for (const service of [
      '',
      'tagguard.sync.v1.DirectoryService',
      'sync-service.directory-view',
      'sync-service.directory-relay',
    ])
      await eventually(async () => expect(await checkHealth(svc.address, service)).toBe('SERVING'), 10_000);
  });

  it('refuses a write without the tenant_admin role, and a call without a token', async () => {
    expect((await svc.failure('GetEmployee', { employeeId: 'a' })).code).toBe(status.UNAUTHENTICATED);
    const viewer = SyncServiceHarness.admin(admin.tenantId, ['sales']);
    expect((await svc.failure('UpsertDepartment', { departmentId: '1', name: 'HQ' }, viewer)).code).toBe(
      status.PERMISSION_DENIED,
    );
    expect((await svc.failure('GetDepartment', { departmentId: '1' }, viewer)).code).toBe(status.NOT_FOUND);
    // Another tenant's ids reach nothing of this one's.
    const written = await department('1');
    const other = SyncServiceHarness.admin();
    expect(
      (
        await svc.failure(
          'GetDepartment',
          { departmentId: '1', consistencyToken: written.result.consistencyToken },
          other,
        )
      ).code,
    ).toBe(status.NOT_FOUND);
  });

  it('publishes the changes on the directory topic, the status change beside the upsert', async () => {
    const kafka = new Kafka({
      clientId: 'sync-grpc-test',
      brokers: testInfra().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({ groupId: `sync-grpc-test-${randomUUID()}` });
    const seen: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: DIRECTORY_EVENTS_TOPIC_V1, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) =>
        void (message.key?.toString().startsWith(`${admin.tenantId}/`) && seen.push(message)),
    });
    try {
      await department('1');
      await employee('zs');
      await svc.call('DisableEmployee', { employeeId: 'zs' }, admin);
      await eventually(() => expect(seen).toHaveLength(4), 30_000);
      // Kafka orders per key (partition), not across keys: compare each object's own sequence.
      const byKey = (key: string) =>
        seen.filter((m) => m.key!.toString() === key).map((m) => m.headers!['tg-event-type']!.toString());
      expect(byKey(`${admin.tenantId}/department/1`)).toEqual(['directory.department_upserted.v1']);
      expect(byKey(`${admin.tenantId}/employee/zs`)).toEqual([
        'directory.employee_upserted.v1',
        'directory.employee_upserted.v1',
        'directory.employee_status_changed.v1',
      ]);
      const statusChange = seen.find(
        (m) => m.headers!['tg-event-type']!.toString() === 'directory.employee_status_changed.v1',
      );
      expect(JSON.parse(statusChange!.value!.toString())).toEqual({
        tenantId: admin.tenantId,
        revision: '2',
        employeeId: 'zs',
        status: 'disabled',
        previousStatus: 'active',
      });
    } finally {
      await consumer.disconnect();
    }
  });
});
