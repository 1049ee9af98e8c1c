import {
  demoDirectory,
  generateDirectory,
  startWeComSandbox,
  type WeComSandbox,
} from '@tagguard/wecom-sandbox';
import type { PullProgress } from '../directory/sources/directory-source.port';
import { WeComDirectorySource } from './wecom-directory.source';
import { WeComClient } from './wecom.client';

const CORP = 'wwsource000000001';
const SECRET = 'source-secret';
const TENANT = 'tenant-a';
let sandbox: WeComSandbox;
let source: WeComDirectorySource;

beforeEach(async () => {
  sandbox = await startWeComSandbox({ corps: [{ corpId: CORP, secret: SECRET }] });
  sandbox.admin(CORP).seed(demoDirectory());
  const client = new WeComClient({ baseUrl: sandbox.url, corpId: CORP, secret: SECRET, baseDelayMs: 5 });
  source = new WeComDirectorySource((tenantId) => {
    expect(tenantId).toBe(TENANT);
    return { client, agentId: 1000002 };
  });
});
afterEach(() => sandbox.close());

describe('WeComDirectorySource.pullAll', () => {
  it('given the demo directory, then the snapshot holds every object, mapped, with progress per phase', async () => {
    const progress: PullProgress[] = [];
    const { snapshot, failures } = await source.pullAll(TENANT, (p) => progress.push(p));
    expect(failures).toEqual([]);
    expect(snapshot.departments).toEqual([
      { departmentId: '1', name: '示例科技', parentId: null, order: 100000000, leaderIds: ['zhangsan'] },
      { departmentId: '2', name: '市场部', parentId: '1', order: 99999000, leaderIds: ['lisi'] },
      { departmentId: '3', name: '研发部', parentId: '1', order: 99998000, leaderIds: [] },
    ]);
    expect(Object.fromEntries(snapshot.employees.map((e) => [e.employeeId, e.status]))).toEqual({
      zhangsan: 'active',
      lisi: 'active',
      wangwu: 'active',
      zhaoliu: 'disabled',
    });
    expect(snapshot.employees.find((e) => e.employeeId === 'wangwu')).toEqual({
      employeeId: 'wangwu',
      name: '王五',
      departmentIds: ['3', '2'],
      mainDepartmentId: '3',
      position: '工程师',
      status: 'active',
      leaderInDepartmentIds: [],
    });
    expect(snapshot.customers).toEqual([
      {
        externalUserId: 'wmDemoCustomer0001',
        name: '陈客户',
        corpName: '客户公司',
        followers: [
          {
            employeeId: 'lisi',
            remark: '陈总',
            description: '重点客户',
            remarkCorpName: '客户公司',
            remarkMobiles: ['13800000000'],
          },
        ],
      },
    ]);
    expect(snapshot.partners).toEqual([
      { corpId: 'wwDemoPartner01', name: '合作伙伴品牌', relation: 'downstream' },
    ]);
    expect(snapshot.partnerStaff).toEqual([{ corpId: 'wwDemoPartner01', staffId: 'xiaoming', name: '小明' }]);
    expect(progress.filter((p) => p.phase === 'employees').at(-1)).toEqual({
      phase: 'employees',
      done: 3,
      total: 3,
    });
    expect(progress.map((p) => p.phase)).toEqual(
      expect.arrayContaining(['departments', 'employees', 'customers', 'partners']),
    );
  });

  it("given one department's users and one follower's customers fail, then only those are lost, each a failure", async () => {
    const admin = sandbox.admin(CORP);
    admin.plantFault({
      path: '/cgi-bin/user/list',
      errcode: 60011,
      errmsg: 'no privilege',
      when: (p) => p['department_id'] === '3',
    });
    // The batch fails while lisi is in it (once as a batch, once alone); zhangsan alone still reads.
    admin.plantFault({
      path: '/cgi-bin/externalcontact/batch/get_by_user',
      errcode: 60011,
      times: 2,
      when: (p) => (p['userid_list'] as string[]).includes('lisi'),
    });
    const { snapshot, failures } = await source.pullAll(TENANT);
    expect(failures).toEqual([
      {
        ref: 'department/3/users',
        covers: { kind: 'department_users', departmentId: '3' },
        errcode: 60011,
        errmsg: 'no privilege',
      },
      {
        ref: 'employee/lisi/customers',
        covers: { kind: 'follower_customers', employeeId: 'lisi' },
        errcode: 60011,
        errmsg: 'sandbox: planted fault',
      },
    ]);
    // wangwu is also in department 2, so still read; zhaoliu only in 3.
    expect(snapshot.employees.map((e) => e.employeeId).sort()).toEqual(['lisi', 'wangwu', 'zhangsan']);
    expect(snapshot.customers).toEqual([]);
    expect(snapshot.departments).toHaveLength(3);
  });

  it('given a generated directory larger than one page of every list, then every object arrives once', async () => {
    const directory = generateDirectory({
      seed: 3,
      departments: 40,
      employees: 450,
      customers: 300,
      partners: 250,
    });
    sandbox.admin(CORP).seed(directory);
    const { snapshot, failures } = await source.pullAll(TENANT);
    expect(failures).toEqual([]);
    expect(snapshot.employees).toHaveLength(450);
    expect(new Set(snapshot.employees.map((e) => e.employeeId)).size).toBe(450);
    expect(snapshot.customers).toHaveLength(300);
    const followers = snapshot.customers.reduce((n, c) => n + c.followers.length, 0);
    expect(followers).toBe(directory.externalContacts.reduce((n, c) => n + c.follow_user.length, 0));
    expect(snapshot.partners).toHaveLength(250);
  });
});

describe('WeComDirectorySource.read', () => {
  it('re-reads one object of each kind; absent when WeCom says it does not exist', async () => {
    await expect(source.read(TENANT, { kind: 'employee', employeeId: 'zhaoliu' })).resolves.toMatchObject({
      kind: 'employee',
      employeeId: 'zhaoliu',
      value: { status: 'disabled', departmentIds: ['3'] },
    });
    await expect(source.read(TENANT, { kind: 'employee', employeeId: 'ghost' })).resolves.toEqual({
      kind: 'employee',
      employeeId: 'ghost',
      value: 'absent',
    });
    await expect(source.read(TENANT, { kind: 'department', departmentId: '2' })).resolves.toMatchObject({
      value: { name: '市场部' },
    });
    await expect(source.read(TENANT, { kind: 'department', departmentId: '99' })).resolves.toMatchObject({
      value: 'absent',
    });
    await expect(
      source.read(TENANT, { kind: 'customer', externalUserId: 'wmDemoCustomer0001' }),
    ).resolves.toMatchObject({
      value: { followers: [{ employeeId: 'lisi' }] },
    });
    await expect(source.read(TENANT, { kind: 'customer', externalUserId: 'wmGone' })).resolves.toMatchObject({
      value: 'absent',
    });
    await expect(source.read(TENANT, { kind: 'partner', corpId: 'wwDemoPartner01' })).resolves.toMatchObject({
      value: { relation: 'downstream' },
    });
    await expect(source.read(TENANT, { kind: 'partner', corpId: 'wwNone' })).resolves.toMatchObject({
      value: 'absent',
    });
    await expect(
      source.read(TENANT, { kind: 'partner_staff', corpId: 'wwDemoPartner01', staffId: 'xiaoming' }),
    ).resolves.toMatchObject({
      value: { name: '小明' },
    });
  });

  it('given an error that is not "does not exist", then read fails (the object is not taken as gone)', async () => {
    sandbox.admin(CORP).plantFault({ path: '/cgi-bin/user/get', errcode: 60011 });
    await expect(source.read(TENANT, { kind: 'employee', employeeId: 'lisi' })).rejects.toMatchObject({
      errcode: 60011,
    });
  });
});
