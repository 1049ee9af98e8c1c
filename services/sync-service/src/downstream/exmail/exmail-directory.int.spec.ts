import { randomUUID } from 'node:crypto';
import { testInfra } from '@tagguard/testing';
import { startWeComSandbox, type WeComSandbox } from '@tagguard/wecom-sandbox';
import { Pool } from 'pg';
import { describeDownstreamDirectoryContract } from '../port/downstream-directory.contract';
import { DownstreamRejectedError, DownstreamUnavailableError } from '../port/downstream-directory.port';
import { WeComClient } from '../../wecom/wecom.client';
import { ExmailDirectory } from './exmail-directory';
import { PostgresExmailKeyStore } from './exmail-keys';

const CORP = 'wwexmail000000001';
const SECRET = 'wecom-secret';
const EXMAIL_SECRET = 'exmail-contacts-secret';
let sandbox: WeComSandbox;
let pool: Pool;

beforeAll(async () => {
  sandbox = await startWeComSandbox({
    corps: [{ corpId: CORP, secret: SECRET, exmailSecret: EXMAIL_SECRET }],
  });
  pool = new Pool({ connectionString: testInfra().postgresUrl, max: 4 });
});
afterAll(async () => {
  await sandbox.close();
  await pool.end();
});

/** A connector on an emptied Exmail and a fresh key namespace; the empty-group department made anew. */
function fresh(options: { baseUrl?: string; maxAttempts?: number } = {}) {
  const exmail = sandbox.admin(CORP).exmail;
  exmail.clear();
  const holding = exmail.addDepartment('TagGuard 空群组');
  const keys = new PostgresExmailKeyStore(pool, `test-${randomUUID()}`);
  const client = new WeComClient({
    baseUrl: options.baseUrl ?? `${sandbox.url}/exmail`,
    corpId: CORP,
    secret: EXMAIL_SECRET,
    baseDelayMs: 5,
    maxAttempts: options.maxAttempts ?? 5,
  });
  const port = new ExmailDirectory({
    client,
    keys,
    accountDepartmentId: 1,
    emptyGroupDepartmentId: holding.id,
  });
  return { port, keys, exmail, holding };
}

describeDownstreamDirectoryContract('exmail (WeCom sandbox /exmail)', async () => ({ port: fresh().port }));

describe('ExmailDirectory, Exmail specifics', () => {
  const account = { employeeId: 'lisi', email: 'lisi@example.test', displayName: '李四', active: true };

  it('a mailbox is keyed by its address with the employee id in extid; disabling sets enable 0 and keeps it', async () => {
    const { port, exmail } = fresh();
    await port.upsertAccount(account);
    expect(exmail.users.get('lisi@example.test')).toMatchObject({
      extid: 'lisi',
      enable: 1,
      department: [1],
    });
    await port.setAccountActive('lisi', false);
    expect(exmail.users.get('lisi@example.test')).toMatchObject({ enable: 0, name: '李四' });
  });

  it("given an employee's address changed, then the mail groups holding the old address hold the new one", async () => {
    const { port, exmail } = fresh();
    await port.upsertAccount(account);
    await port.upsertAccount({ ...account, employeeId: 'wangwu', email: 'wangwu@example.test' });
    const group = { groupId: 'market-2', displayName: '市场二组', email: 'market-2@example.test' };
    await port.upsertGroup({ ...group, memberEmployeeIds: ['lisi', 'wangwu'] });
    await port.upsertAccount({ ...account, email: 'lisi@mail.example.test' });
    expect([...exmail.groups.get('market-2@example.test')!.userlist].sort()).toEqual([
      'lisi@mail.example.test',
      'wangwu@example.test',
    ]);
    const listed = [];
    for await (const g of port.listGroups()) listed.push(g);
    expect(listed).toEqual([{ ...group, memberEmployeeIds: ['lisi', 'wangwu'] }]);
  });

  it("given an employee's address changed, then the new mailbox is active and the old one disabled and released (no active old mailbox)", async () => {
    const { port, exmail } = fresh();
    await port.upsertAccount(account);
    await port.upsertAccount({ ...account, email: 'lisi@mail.example.test' });
    expect(exmail.users.get('lisi@mail.example.test')).toMatchObject({ extid: 'lisi', enable: 1 });
    expect(exmail.users.get('lisi@example.test')).toMatchObject({ extid: '', enable: 0 });
    const listed = [];
    for await (const a of port.listAccounts()) listed.push(a);
    expect(listed).toEqual([{ ...account, email: 'lisi@mail.example.test' }]);
    // Applied again (a replayed change): nothing else moves.
    await port.upsertAccount({ ...account, email: 'lisi@mail.example.test' });
    expect([...exmail.users.values()].filter((u) => u.enable === 1).map((u) => u.userid)).toEqual([
      'lisi@mail.example.test',
    ]);
  });

  it('an expired Exmail token is refreshed once by WeComClient and the change still applies', async () => {
    const { port, exmail } = fresh();
    await port.upsertAccount(account);
    sandbox.admin(CORP).expireTokens();
    await port.setAccountActive('lisi', false);
    expect(exmail.users.get('lisi@example.test')?.enable).toBe(0);
  });

  it('an account upserted as disabled is created and then disabled (user/create takes no enable)', async () => {
    const { port, exmail } = fresh();
    await port.upsertAccount({ ...account, active: false });
    expect(exmail.users.get('lisi@example.test')?.enable).toBe(0);
  });

  it('setAccountActive finds a mailbox made outside TagGuard by its extid, and records the key', async () => {
    const { port, exmail, keys } = fresh();
    exmail.users.set('wangwu@example.test', {
      userid: 'wangwu@example.test',
      name: '王五',
      department: [1],
      position: '',
      mobile: '',
      tel: '',
      extid: 'wangwu',
      gender: '0',
      slaves: [],
      enable: 1,
      cpwd_login: 0,
    });
    await port.setAccountActive('wangwu', false);
    expect(exmail.users.get('wangwu@example.test')?.enable).toBe(0);
    expect(await keys.get('account', 'wangwu')).toBe('wangwu@example.test');
  });

  it('a group is a mail group at its address with the members’ addresses; with no members it points at the empty department', async () => {
    const { port, exmail, holding } = fresh();
    await port.upsertAccount(account);
    const group = {
      groupId: 'tag-1',
      displayName: '市场二组',
      email: 'market-2@example.test',
      memberEmployeeIds: ['lisi'],
    };
    await port.upsertGroup(group);
    expect(exmail.groups.get('market-2@example.test')).toMatchObject({
      groupname: '市场二组',
      userlist: ['lisi@example.test'],
      department: [],
    });
    await port.upsertGroup({ ...group, memberEmployeeIds: [] });
    expect(exmail.groups.get('market-2@example.test')).toMatchObject({
      userlist: [],
      department: [holding.id],
    });
  });

  it('a group whose address changes moves: the old mail group is deleted', async () => {
    const { port, exmail } = fresh();
    await port.upsertAccount(account);
    const group = {
      groupId: 'tag-1',
      displayName: 'g',
      email: 'old@example.test',
      memberEmployeeIds: ['lisi'],
    };
    await port.upsertGroup(group);
    await port.upsertGroup({ ...group, email: 'new@example.test' });
    expect([...exmail.groups.keys()]).toEqual(['new@example.test']);
  });

  it('a member without a mailbox is refused as not_found and nothing is written', async () => {
    const { port, exmail } = fresh();
    await expect(
      port.upsertGroup({
        groupId: 'g',
        displayName: 'g',
        email: 'g@example.test',
        memberEmployeeIds: ['ghost'],
      }),
    ).rejects.toMatchObject({ constructor: DownstreamRejectedError, code: 'not_found' });
    expect(exmail.groups.size).toBe(0);
  });

  it('a wrong corpsecret is unauthorized; an unreachable host is DownstreamUnavailableError', async () => {
    fresh();
    const wrong = new ExmailDirectory({
      client: new WeComClient({ baseUrl: `${sandbox.url}/exmail`, corpId: CORP, secret: SECRET }),
      keys: new PostgresExmailKeyStore(pool, 'unused'),
      accountDepartmentId: 1,
      emptyGroupDepartmentId: 1,
    });
    await expect(wrong.upsertAccount(account)).rejects.toMatchObject({ code: 'unauthorized' });
    const down = fresh({ baseUrl: 'http://127.0.0.1:9/exmail', maxAttempts: 2 }).port;
    await expect(down.upsertAccount(account)).rejects.toBeInstanceOf(DownstreamUnavailableError);
  });
});
