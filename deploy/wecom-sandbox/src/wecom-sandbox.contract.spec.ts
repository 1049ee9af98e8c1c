import { demoDirectory } from './demo-directory';
import { generateDirectory } from './generate-directory';
import { startWeComSandbox, type WeComSandbox } from './wecom-sandbox.server';

// The sandbox's answers pinned to WeCom's documented shapes: field names, JSON types and errcodes are
// written out here from the documentation pages (URL beside each), not from the sandbox's code, so a
// difference between the two is a failing test. Docs base: https://developer.work.weixin.qq.com/document/path/

type Shape = Record<string, 'string' | 'number' | 'array' | 'object' | 'boolean'>;
const typeOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
function expectShape(value: unknown, shape: Shape): void {
  expect(typeOf(value)).toBe('object');
  const actual = Object.fromEntries(
    Object.keys(shape).map((k) => [k, typeOf((value as Record<string, unknown>)[k])]),
  );
  expect(actual).toEqual(shape);
}

const CORP = 'wwcontract0000001';
const SECRET = 'contract-secret';
let sandbox: WeComSandbox;

beforeAll(async () => {
  sandbox = await startWeComSandbox({ corps: [{ corpId: CORP, secret: SECRET }] });
  sandbox.admin(CORP).seed(demoDirectory());
});
afterAll(() => sandbox.close());

const get = async (path: string, query: Record<string, string>) => {
  const url = new URL(sandbox.url + path);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const response = await fetch(url);
  expect(response.status).toBe(200); // WeCom answers its errors with HTTP 200 and an errcode
  return (await response.json()) as Record<string, unknown>;
};
const post = async (path: string, token: string, body: unknown) => {
  const response = await fetch(`${sandbox.url}${path}?access_token=${token}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
};
const token = async () =>
  String((await get('/cgi-bin/gettoken', { corpid: CORP, corpsecret: SECRET }))['access_token']);

describe('gettoken (91039)', () => {
  it('answers access_token and expires_in 7200', async () => {
    const answer = await get('/cgi-bin/gettoken', { corpid: CORP, corpsecret: SECRET });
    expectShape(answer, {
      errcode: 'number',
      errmsg: 'string',
      access_token: 'string',
      expires_in: 'number',
    });
    expect(answer).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
  });

  it.each([
    [{ corpid: 'wwnosuchcorp', corpsecret: SECRET }, 40013], // 不合法的CorpID
    [{ corpid: CORP, corpsecret: 'wrong' }, 40001], // 不合法的secret参数
    [{ corpsecret: SECRET }, 41002], // 缺少corpid参数
    [{ corpid: CORP }, 41004], // 缺少secret参数
  ])('refuses %j with errcode %i (90313 全局错误码)', async (query, errcode) => {
    const answer = await get('/cgi-bin/gettoken', query as Record<string, string>);
    expect(answer['errcode']).toBe(errcode);
    expect(answer).not.toHaveProperty('access_token');
  });
});

describe('access_token checks (90313)', () => {
  it('41001 without a token, 40014 for an unknown one, 42001 once expired', async () => {
    expect((await get('/cgi-bin/department/list', {}))['errcode']).toBe(41001);
    expect((await get('/cgi-bin/department/list', { access_token: 'nope' }))['errcode']).toBe(40014);
    const t = await token();
    expect((await get('/cgi-bin/department/list', { access_token: t }))['errcode']).toBe(0);
    sandbox.admin(CORP).expireTokens();
    expect((await get('/cgi-bin/department/list', { access_token: t }))['errcode']).toBe(42001);
  });
});

describe('department (90208, 95351)', () => {
  it('department/list: department[] of id, name, parentid, order, department_leader; ?id= is the subtree', async () => {
    const t = await token();
    const answer = await get('/cgi-bin/department/list', { access_token: t });
    const departments = answer['department'] as unknown[];
    expect(departments).toHaveLength(3);
    for (const d of departments)
      expectShape(d, {
        id: 'number',
        name: 'string',
        parentid: 'number',
        order: 'number',
        department_leader: 'array',
      });
    expect(departments[0]).toMatchObject({ id: 1, parentid: 0 });
    const sub = await get('/cgi-bin/department/list', { access_token: t, id: '2' });
    expect((sub['department'] as { id: number }[]).map((d) => d.id)).toEqual([2]);
  });

  it('an unknown department is 60123', async () => {
    const t = await token();
    expect((await get('/cgi-bin/department/list', { access_token: t, id: '999' }))['errcode']).toBe(60123);
    expect((await get('/cgi-bin/department/get', { access_token: t, id: '999' }))['errcode']).toBe(60123);
    const one = await get('/cgi-bin/department/get', { access_token: t, id: '2' });
    expectShape(one['department'], {
      id: 'number',
      name: 'string',
      parentid: 'number',
      order: 'number',
      department_leader: 'array',
    });
  });
});

const USER_SHAPE: Shape = {
  userid: 'string',
  name: 'string',
  department: 'array',
  order: 'array',
  position: 'string',
  is_leader_in_dept: 'array',
  main_department: 'number',
  status: 'number',
  enable: 'number',
};

describe('user (90196, 90201, 90200, 96021)', () => {
  it('user/get: the member fields; status 1/2/4/5 and enable; 60111 for an unknown userid', async () => {
    const t = await token();
    const user = await get('/cgi-bin/user/get', { access_token: t, userid: 'wangwu' });
    expect(user['errcode']).toBe(0);
    const { errcode: _e, errmsg: _m, ...fields } = user;
    expectShape(fields, Object.fromEntries(Object.entries(USER_SHAPE)) as Shape);
    expect(user).toMatchObject({
      department: [3, 2],
      main_department: 3,
      is_leader_in_dept: [0, 0],
      status: 1,
      enable: 1,
    });
    expect(await get('/cgi-bin/user/get', { access_token: t, userid: 'zhaoliu' })).toMatchObject({
      status: 2,
      enable: 0,
    });
    expect((await get('/cgi-bin/user/get', { access_token: t, userid: 'nobody' }))['errcode']).toBe(60111);
  });

  it('user/list and user/simplelist: userlist of one department', async () => {
    const t = await token();
    const list = await get('/cgi-bin/user/list', { access_token: t, department_id: '2' });
    expect((list['userlist'] as { userid: string }[]).map((u) => u.userid)).toEqual(['lisi', 'wangwu']);
    for (const u of list['userlist'] as unknown[])
      expect(Object.keys(USER_SHAPE).every((k) => k in (u as object))).toBe(true);
    const simple = await get('/cgi-bin/user/simplelist', { access_token: t, department_id: '3' });
    for (const u of simple['userlist'] as unknown[])
      expectShape(u, { userid: 'string', name: 'string', department: 'array' });
    expect((await get('/cgi-bin/user/list', { access_token: t, department_id: '999' }))['errcode']).toBe(
      60123,
    );
  });

  it('user/list_id: dept_user rows and next_cursor paging to the end (empty cursor)', async () => {
    const big = await startWeComSandbox({ corps: [{ corpId: CORP, secret: SECRET }] });
    try {
      big.admin(CORP).seed(generateDirectory({ seed: 7, departments: 50, employees: 2_500 }));
      const t = String(
        (
          (await (
            await fetch(`${big.url}/cgi-bin/gettoken?corpid=${CORP}&corpsecret=${SECRET}`)
          ).json()) as Record<string, unknown>
        )['access_token'],
      );
      const rows: { userid: string; department: number }[] = [];
      let cursor = '';
      let pages = 0;
      do {
        const answer = (await (
          await fetch(`${big.url}/cgi-bin/user/list_id?access_token=${t}`, {
            method: 'POST',
            body: JSON.stringify({ cursor, limit: 1000 }),
          })
        ).json()) as {
          errcode: number;
          next_cursor: string;
          dept_user: { userid: string; department: number }[];
        };
        expectShape(answer, {
          errcode: 'number',
          errmsg: 'string',
          next_cursor: 'string',
          dept_user: 'array',
        });
        rows.push(...answer.dept_user);
        cursor = answer.next_cursor;
        pages++;
      } while (cursor);
      expect(new Set(rows.map((r) => r.userid)).size).toBe(2_500);
      expect(pages).toBe(Math.ceil(rows.length / 1000));
      const tooMany = await fetch(`${big.url}/cgi-bin/user/list_id?access_token=${t}`, {
        method: 'POST',
        body: JSON.stringify({ limit: 10_001 }),
      });
      expect(((await tooMany.json()) as { errcode: number }).errcode).toBe(40058);
    } finally {
      await big.close();
    }
  });
});

describe('external contacts (92113, 92114, 93010)', () => {
  it('externalcontact/list: external_userid[]; 84061 when the member has none', async () => {
    const t = await token();
    expect(await get('/cgi-bin/externalcontact/list', { access_token: t, userid: 'lisi' })).toMatchObject({
      errcode: 0,
      external_userid: ['wmDemoCustomer0001'],
    });
    expect(
      (await get('/cgi-bin/externalcontact/list', { access_token: t, userid: 'wangwu' }))['errcode'],
    ).toBe(84061);
  });

  it('externalcontact/get: external_contact, follow_user[], next_cursor', async () => {
    const t = await token();
    const answer = await get('/cgi-bin/externalcontact/get', {
      access_token: t,
      external_userid: 'wmDemoCustomer0001',
    });
    expectShape(answer, {
      errcode: 'number',
      errmsg: 'string',
      external_contact: 'object',
      follow_user: 'array',
      next_cursor: 'string',
    });
    expectShape(answer['external_contact'], {
      external_userid: 'string',
      name: 'string',
      type: 'number',
      gender: 'number',
      avatar: 'string',
      corp_name: 'string',
      corp_full_name: 'string',
      position: 'string',
    });
    const [follow] = answer['follow_user'] as unknown[];
    expect(follow).toMatchObject({
      userid: 'lisi',
      remark: '陈总',
      description: '重点客户',
      remark_corp_name: '客户公司',
      remark_mobiles: ['13800000000'],
    });
    expectShape(follow, {
      userid: 'string',
      remark: 'string',
      description: 'string',
      createtime: 'number',
      remark_corp_name: 'string',
      remark_mobiles: 'array',
      add_way: 'number',
      oper_userid: 'string',
      tags: 'array',
    });
    expect(
      (await get('/cgi-bin/externalcontact/get', { access_token: t, external_userid: 'wmGone' }))['errcode'],
    ).toBe(84061);
  });

  it('batch/get_by_user: external_contact_list of {external_contact, follow_info}, next_cursor; ≤100 userids', async () => {
    const t = await token();
    const answer = await post('/cgi-bin/externalcontact/batch/get_by_user', t, {
      userid_list: ['lisi', 'zhangsan'],
      limit: 100,
    });
    expectShape(answer, {
      errcode: 'number',
      errmsg: 'string',
      external_contact_list: 'array',
      next_cursor: 'string',
    });
    const [row] = answer['external_contact_list'] as Record<string, unknown>[];
    expect(Object.keys(row!).sort()).toEqual(['external_contact', 'follow_info']);
    expectShape(row!['follow_info'], {
      userid: 'string',
      remark: 'string',
      description: 'string',
      createtime: 'number',
      tag_id: 'array',
      remark_corp_name: 'string',
      remark_mobiles: 'array',
      oper_userid: 'string',
      add_way: 'number',
    });
    const tooMany = Array.from({ length: 101 }, (_, i) => `u${i}`);
    expect(
      (await post('/cgi-bin/externalcontact/batch/get_by_user', t, { userid_list: tooMany }))['errcode'],
    ).toBe(40058);
    expect(
      (await post('/cgi-bin/externalcontact/batch/get_by_user', t, { userid_list: ['nobody'] }))['errcode'],
    ).toBe(60111);
  });
});

describe('partners (93403 corpgroup, 93172/93171 linkedcorp)', () => {
  it('list_app_share_info: ending, corp_list of corpid, corp_name, agentid; 41011 without agentid', async () => {
    const t = await token();
    const answer = await post('/cgi-bin/corpgroup/corp/list_app_share_info', t, {
      agentid: 1000002,
      business_type: 1,
    });
    expectShape(answer, {
      errcode: 'number',
      errmsg: 'string',
      ending: 'number',
      corp_list: 'array',
      next_cursor: 'string',
    });
    expect(answer).toMatchObject({
      ending: 1,
      corp_list: [{ corpid: 'wwDemoPartner01', corp_name: '合作伙伴品牌', agentid: 1000002 }],
    });
    expect(
      (await post('/cgi-bin/corpgroup/corp/list_app_share_info', t, { business_type: 1 }))['errcode'],
    ).toBe(41011);
  });

  it('linkedcorp: get_perm_list userids "CORPID/USERID", user/get user_info; 60111 for an unknown one', async () => {
    const t = await token();
    const perms = await post('/cgi-bin/linkedcorp/agent/get_perm_list', t, {});
    expectShape(perms, { errcode: 'number', errmsg: 'string', userids: 'array', department_ids: 'array' });
    const user = await post('/cgi-bin/linkedcorp/user/get', t, { userid: (perms['userids'] as string[])[0] });
    expect(user['user_info']).toMatchObject({
      userid: 'wwDemoPartner01/xiaoming',
      corpid: 'wwDemoPartner01',
      name: '小明',
    });
    expect((await post('/cgi-bin/linkedcorp/user/get', t, { userid: 'ww/none' }))['errcode']).toBe(60111);
  });
});

describe('frequency limit (90312 频率限制)', () => {
  it('45009 once a window is full, per API path', async () => {
    const limited = await startWeComSandbox({
      corps: [{ corpId: CORP, secret: SECRET }],
      limits: [{ windowMs: 60_000, max: 3 }],
      now: () => Date.UTC(2026, 11, 1, 9, 0, 30), // mid-window: a minute boundary cannot fall between the calls
    });
    try {
      limited.admin(CORP).seed(demoDirectory());
      const t = String(
        (
          (await (
            await fetch(`${limited.url}/cgi-bin/gettoken?corpid=${CORP}&corpsecret=${SECRET}`)
          ).json()) as Record<string, unknown>
        )['access_token'],
      );
      const codes = [];
      for (let i = 0; i < 4; i++)
        codes.push(
          (
            (await (await fetch(`${limited.url}/cgi-bin/department/list?access_token=${t}`)).json()) as {
              errcode: number;
            }
          ).errcode,
        );
      expect(codes).toEqual([0, 0, 0, 45009]);
      const other = (await (
        await fetch(`${limited.url}/cgi-bin/user/get?access_token=${t}&userid=lisi`)
      ).json()) as { errcode: number };
      expect(other.errcode).toBe(0);
    } finally {
      await limited.close();
    }
  });
});

describe('generator', () => {
  it('is deterministic by seed and keeps the tree within 15 levels', () => {
    const a = generateDirectory({ seed: 42, departments: 500, employees: 5_000 });
    expect(generateDirectory({ seed: 42, departments: 500, employees: 5_000 })).toEqual(a);
    expect(generateDirectory({ seed: 43, departments: 500, employees: 5_000 })).not.toEqual(a);
    const parent = new Map(a.departments.map((d) => [d.id, d.parentid]));
    const depth = (id: number): number => (id === 0 ? 0 : 1 + depth(parent.get(id)!));
    expect(Math.max(...a.departments.map((d) => depth(d.id)))).toBeLessThanOrEqual(15);
    expect(a.users).toHaveLength(5_000);
  });
});

describe('admin changes are what the API answers next', () => {
  it('a user added, moved or deleted, and a customer dropped, show in the lists at once', async () => {
    const admin = sandbox.admin(CORP);
    const t = await token();
    const ids = async (department: string) =>
      (
        (await get('/cgi-bin/user/list', { access_token: t, department_id: department }))['userlist'] as {
          userid: string;
        }[]
      ).map((u) => u.userid);
    await admin.upsertUser({
      ...admin.snapshot().users[0]!,
      userid: 'newbie',
      department: [3],
      order: [0],
      is_leader_in_dept: [0],
      main_department: 3,
    });
    expect(await ids('3')).toContain('newbie');
    await admin.updateUser('newbie', { department: [2], main_department: 2 });
    expect([await ids('3'), await ids('2')].map((l) => l.includes('newbie'))).toEqual([false, true]);
    await admin.deleteUser('newbie');
    expect(await ids('2')).not.toContain('newbie');
    await admin.deleteExternalContact('wmDemoCustomer0001', 'lisi');
    const batch = await post('/cgi-bin/externalcontact/batch/get_by_user', t, { userid_list: ['lisi'] });
    expect(batch['external_contact_list']).toEqual([]);
    admin.seed(demoDirectory());
  });
});

describe('admin over HTTP (/sandbox/..., not WeCom)', () => {
  it('changes the directory, expires tokens and reads it back; unknown corps and actions are 404', async () => {
    const admin = (action: string, body: unknown) =>
      fetch(`${sandbox.url}/sandbox/corps/${CORP}/${action}`, { method: 'POST', body: JSON.stringify(body) });
    expect((await admin('update-user', { userid: 'lisi', position: '总监' })).status).toBe(200);
    const directory = (await (await fetch(`${sandbox.url}/sandbox/corps/${CORP}/directory`)).json()) as {
      users: { userid: string; position: string }[];
    };
    expect(directory.users.find((u) => u.userid === 'lisi')?.position).toBe('总监');
    const t = await token();
    expect((await admin('expire-tokens', {})).status).toBe(200);
    expect((await get('/cgi-bin/user/get', { access_token: t, userid: 'lisi' }))['errcode']).toBe(42001);
    expect((await admin('delete-user', { userid: 'nobody' })).status).toBe(400);
    expect((await admin('no-such-action', {})).status).toBe(404);
    expect((await fetch(`${sandbox.url}/sandbox/corps/wwnone/directory`)).status).toBe(404);
    sandbox.admin(CORP).seed(demoDirectory());
  });
});

// Exmail (腾讯企业邮), https://exmail.qq.com/qy_mng_logic/doc#10001: 成员 #10014 create, #10015 update,
// #10016 delete, #10017 get, #10018 simplelist, #10019 list; 邮件群组 #10022 create, #10023 update,
// #10024 delete, #10025 get. Errcodes the documentation does not give are WeCom's (90313), see README.
describe('Exmail (under /exmail, its own corpsecret and tokens)', () => {
  const EXMAIL_SECRET = 'contract-exmail-secret';
  let ex: WeComSandbox;
  let t: string;
  beforeAll(async () => {
    ex = await startWeComSandbox({ corps: [{ corpId: CORP, secret: SECRET, exmailSecret: EXMAIL_SECRET }] });
    t = String(
      (
        (await (
          await fetch(`${ex.url}/exmail/cgi-bin/gettoken?corpid=${CORP}&corpsecret=${EXMAIL_SECRET}`)
        ).json()) as Record<string, unknown>
      )['access_token'],
    );
  });
  afterAll(() => ex.close());
  beforeEach(() => ex.admin(CORP).exmail.clear());
  const call = async (path: string, query: Record<string, string> = {}, body?: unknown) => {
    const url = new URL(`${ex.url}/exmail/cgi-bin${path}`);
    url.searchParams.set('access_token', t);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const response = await fetch(
      url,
      body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) },
    );
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };
  const zhangsan = {
    userid: 'zhangsan@gzdev.com',
    name: '张三',
    department: [1],
    position: '产品经理',
    extid: '01',
    gender: '1',
    password: 'Passw0rd',
  };

  it('gettoken takes the Exmail secret only; an Exmail token is refused by WeCom and the other way round', async () => {
    const wrong = await fetch(`${ex.url}/exmail/cgi-bin/gettoken?corpid=${CORP}&corpsecret=${SECRET}`);
    expect(((await wrong.json()) as { errcode: number }).errcode).toBe(40001);
    const wecomToken = String(
      (
        (await (
          await fetch(`${ex.url}/cgi-bin/gettoken?corpid=${CORP}&corpsecret=${SECRET}`)
        ).json()) as Record<string, unknown>
      )['access_token'],
    );
    const onExmail = await fetch(
      `${ex.url}/exmail/cgi-bin/user/get?access_token=${wecomToken}&userid=x@gzdev.com`,
    );
    expect(((await onExmail.json()) as { errcode: number }).errcode).toBe(40014);
    const onWeCom = await fetch(`${ex.url}/cgi-bin/department/list?access_token=${t}`);
    expect(((await onWeCom.json()) as { errcode: number }).errcode).toBe(40014);
  });

  it('user/create → "created"; user/get answers the documented fields with enable 1; 60102 for a second create', async () => {
    expect(await call('/user/create', {}, zhangsan)).toEqual({ errcode: 0, errmsg: 'created' });
    const user = await call('/user/get', { userid: zhangsan.userid });
    expectShape(user, {
      errcode: 'number',
      errmsg: 'string',
      userid: 'string',
      name: 'string',
      department: 'array',
      position: 'string',
      mobile: 'string',
      tel: 'string',
      extid: 'string',
      gender: 'string',
      enable: 'number',
      slaves: 'array',
      cpwd_login: 'number',
    });
    expect(user).toMatchObject({
      userid: zhangsan.userid,
      name: '张三',
      department: [1],
      extid: '01',
      enable: 1,
    });
    expect(user).not.toHaveProperty('password');
    expect((await call('/user/create', {}, zhangsan))['errcode']).toBe(60102);
  });

  it('user/create refuses a userid that is no address, no password, or an unknown department', async () => {
    expect((await call('/user/create', {}, { ...zhangsan, userid: 'zhangsan' }))['errcode']).toBe(40058);
    expect((await call('/user/create', {}, { ...zhangsan, password: undefined }))['errcode']).toBe(40058);
    expect((await call('/user/create', {}, { ...zhangsan, department: [99] }))['errcode']).toBe(60003);
    expect((await call('/user/get', { userid: zhangsan.userid }))['errcode']).toBe(60111);
  });

  it('user/update changes only the fields given; enable 0 disables, 1 enables; 60111 for an unknown userid', async () => {
    await call('/user/create', {}, zhangsan);
    expect(await call('/user/update', {}, { userid: zhangsan.userid, enable: 0 })).toEqual({
      errcode: 0,
      errmsg: 'updated',
    });
    expect(await call('/user/get', { userid: zhangsan.userid })).toMatchObject({
      enable: 0,
      name: '张三',
      extid: '01',
    });
    await call('/user/update', {}, { userid: zhangsan.userid, enable: 1, name: '张三丰' });
    expect(await call('/user/get', { userid: zhangsan.userid })).toMatchObject({ enable: 1, name: '张三丰' });
    expect((await call('/user/update', {}, { userid: zhangsan.userid, enable: 2 }))['errcode']).toBe(40058);
    expect((await call('/user/update', {}, { userid: 'nobody@gzdev.com', enable: 0 }))['errcode']).toBe(
      60111,
    );
  });

  it('user/simplelist and user/list: a department, fetch_child=1 with its sub-departments; user/delete', async () => {
    const sub = ex.admin(CORP).exmail.addDepartment('广州研发中心');
    await call('/user/create', {}, zhangsan);
    await call(
      '/user/create',
      {},
      { ...zhangsan, userid: 'lisi@gzdev.com', name: '李四', department: [sub.id] },
    );
    const ids = (answer: Record<string, unknown>) =>
      (answer['userlist'] as { userid: string }[]).map((u) => u.userid);
    expect(ids(await call('/user/simplelist', { department_id: '1' }))).toEqual([zhangsan.userid]);
    const all = await call('/user/simplelist', { department_id: '1', fetch_child: '1' });
    expect(ids(all)).toEqual([zhangsan.userid, 'lisi@gzdev.com']);
    for (const u of all['userlist'] as unknown[])
      expectShape(u, { userid: 'string', name: 'string', department: 'array' });
    const detailed = await call('/user/list', { department_id: '1', fetch_child: '1' });
    expect((detailed['userlist'] as Record<string, unknown>[])[0]).toMatchObject({ extid: '01', enable: 1 });
    expect((await call('/user/simplelist', { department_id: '99' }))['errcode']).toBe(60003);
    expect(await call('/user/delete', { userid: 'lisi@gzdev.com' })).toEqual({
      errcode: 0,
      errmsg: 'deleted',
    });
    expect((await call('/user/delete', { userid: 'lisi@gzdev.com' }))['errcode']).toBe(60111);
  });

  it('group/create with groupid = its address and userlist; group/get; update replaces the lists given', async () => {
    await call('/user/create', {}, zhangsan);
    await call('/user/create', {}, { ...zhangsan, userid: 'lisi@gzdev.com', name: '李四' });
    const group = {
      groupid: 'zhangsangroup@gzdev.com',
      groupname: 'zhangsangroup',
      userlist: [zhangsan.userid, 'lisi@gzdev.com'],
      allow_type: 0,
    };
    expect(await call('/group/create', {}, group)).toEqual({ errcode: 0, errmsg: 'created' });
    const got = await call('/group/get', { groupid: group.groupid });
    expectShape(got, {
      errcode: 'number',
      errmsg: 'string',
      groupid: 'string',
      groupname: 'string',
      userlist: 'array',
      grouplist: 'array',
      department: 'array',
      allow_type: 'number',
      allow_userlist: 'array',
    });
    expect(got).toMatchObject({ ...group, grouplist: [], department: [] });
    expect(await call('/group/update', {}, { groupid: group.groupid, userlist: ['lisi@gzdev.com'] })).toEqual(
      {
        errcode: 0,
        errmsg: 'updated',
      },
    );
    expect(await call('/group/get', { groupid: group.groupid })).toMatchObject({
      groupname: 'zhangsangroup',
      userlist: ['lisi@gzdev.com'],
    });
    await call('/user/delete', { userid: 'lisi@gzdev.com' });
    // The member's deletion empties the user list; the group stays (it is no longer valid to update as empty).
    expect(await call('/group/get', { groupid: group.groupid })).toMatchObject({ userlist: [] });
  });

  it('group rules: members must exist, at least one of userlist/grouplist/department, allow_type 0..3, unknown groups', async () => {
    await call('/user/create', {}, zhangsan);
    const base = { groupid: 'g@gzdev.com', groupname: 'g', allow_type: 0 };
    expect((await call('/group/create', {}, { ...base, userlist: ['ghost@gzdev.com'] }))['errcode']).toBe(
      60111,
    );
    expect((await call('/group/create', {}, { ...base, userlist: [] }))['errcode']).toBe(40058);
    expect(
      (await call('/group/create', {}, { ...base, userlist: [zhangsan.userid], allow_type: 5 }))['errcode'],
    ).toBe(40058);
    expect(
      (await call('/group/create', {}, { ...base, groupid: 'g', userlist: [zhangsan.userid] }))['errcode'],
    ).toBe(40058);
    expect((await call('/group/create', {}, { ...base, department: [1] }))['errcode']).toBe(0);
    expect((await call('/group/create', {}, { ...base, department: [1] }))['errcode']).toBe(60302);
    expect((await call('/group/update', {}, { groupid: base.groupid, department: [] }))['errcode']).toBe(
      40058,
    );
    expect((await call('/group/get', { groupid: 'none@gzdev.com' }))['errcode']).toBe(60301);
    expect(await call('/group/delete', { groupid: base.groupid })).toEqual({ errcode: 0, errmsg: 'deleted' });
    expect((await call('/group/delete', { groupid: base.groupid }))['errcode']).toBe(60301);
  });
});

// Customer tags (企业客户标签): https://developer.work.weixin.qq.com/document/path/92117 (get_corp_tag_list,
// add_corp_tag, edit_corp_tag, del_corp_tag), /92118 (mark_tag).
describe('corp tags (92117, 92118)', () => {
  let tags: WeComSandbox;
  let t: string;
  beforeEach(async () => {
    tags = await startWeComSandbox({ corps: [{ corpId: CORP, secret: SECRET }] });
    tags.admin(CORP).seed(demoDirectory());
    t = String(
      (
        (await (
          await fetch(`${tags.url}/cgi-bin/gettoken?corpid=${CORP}&corpsecret=${SECRET}`)
        ).json()) as Record<string, unknown>
      )['access_token'],
    );
  });
  afterEach(() => tags.close());
  const call = async (path: string, body: unknown) => {
    const response = await fetch(`${tags.url}/cgi-bin/externalcontact/${path}?access_token=${t}`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };
  type Group = { group_id: string; group_name: string; tag: { id: string; name: string }[] };

  it('add_corp_tag creates a group by group_name (or adds to it) and answers tag_group with the new tags', async () => {
    const added = await call('add_corp_tag', {
      group_name: '客户等级',
      order: 1,
      tag: [{ name: 'VIP' }, { name: '普通', order: 2 }],
    });
    expect(added['errcode']).toBe(0);
    const group = added['tag_group'] as Group;
    expectShape(group, {
      group_id: 'string',
      group_name: 'string',
      create_time: 'number',
      order: 'number',
      tag: 'array',
    });
    for (const tag of group.tag)
      expectShape(tag, { id: 'string', name: 'string', create_time: 'number', order: 'number' });
    expect(group.group_name).toBe('客户等级');
    expect(group.tag.map((x) => x.name)).toEqual(['VIP', '普通']);
    const more = (await call('add_corp_tag', { group_name: '客户等级', tag: [{ name: '流失' }] }))[
      'tag_group'
    ] as Group;
    expect(more.group_id).toBe(group.group_id);
    expect(more.tag.map((x) => x.name)).toEqual(['流失']);
    const byId = (await call('add_corp_tag', { group_id: group.group_id, tag: [{ name: '潜在' }] }))[
      'tag_group'
    ] as Group;
    expect(byId.group_id).toBe(group.group_id);
    expect(
      (await call('add_corp_tag', { group_id: group.group_id, tag: [{ name: 'VIP' }] }))['errcode'],
    ).toBe(40071);
    expect((await call('add_corp_tag', { group_id: 'etnosuchgroup', tag: [{ name: 'x' }] }))['errcode']).toBe(
      40068,
    );
    expect(
      (await call('add_corp_tag', { group_name: 'g', tag: [{ name: 'x'.repeat(31) }] }))['errcode'],
    ).toBe(40058);
  });

  it('get_corp_tag_list: all, by tag_id, by group_id (group_id wins when both are given)', async () => {
    const a = (await call('add_corp_tag', { group_name: 'A', tag: [{ name: 'a1' }, { name: 'a2' }] }))[
      'tag_group'
    ] as Group;
    const b = (await call('add_corp_tag', { group_name: 'B', tag: [{ name: 'b1' }] }))['tag_group'] as Group;
    const list = async (body: unknown) => (await call('get_corp_tag_list', body))['tag_group'] as Group[];
    expect((await list({})).map((g) => g.group_name)).toEqual(['A', 'B']);
    expect((await list({ tag_id: [a.tag[1]!.id] })).map((g) => g.tag.map((x) => x.name))).toEqual([['a2']]);
    expect((await list({ tag_id: [a.tag[0]!.id], group_id: [b.group_id] })).map((g) => g.group_name)).toEqual(
      ['B'],
    );
  });

  it('edit_corp_tag renames a tag or a group; del_corp_tag deletes, and a group left empty goes too', async () => {
    const a = (await call('add_corp_tag', { group_name: 'A', tag: [{ name: 'a1' }, { name: 'a2' }] }))[
      'tag_group'
    ] as Group;
    expect((await call('edit_corp_tag', { id: a.tag[0]!.id, name: 'a1-renamed' }))['errcode']).toBe(0);
    expect((await call('edit_corp_tag', { id: a.group_id, name: 'A2' }))['errcode']).toBe(0);
    expect((await call('edit_corp_tag', { id: a.tag[1]!.id, name: 'a1-renamed' }))['errcode']).toBe(40071);
    expect((await call('edit_corp_tag', { id: 'etnone', name: 'x' }))['errcode']).toBe(40068);
    const [group] = (await call('get_corp_tag_list', {}))['tag_group'] as Group[];
    expect(group).toMatchObject({ group_name: 'A2', tag: [{ name: 'a1-renamed' }, { name: 'a2' }] });
    expect((await call('del_corp_tag', { tag_id: [a.tag[0]!.id] }))['errcode']).toBe(0);
    expect(
      ((await call('get_corp_tag_list', {}))['tag_group'] as Group[])[0]!.tag.map((x) => x.name),
    ).toEqual(['a2']);
    await call('del_corp_tag', { tag_id: [a.tag[1]!.id] });
    expect((await call('get_corp_tag_list', {}))['tag_group']).toEqual([]);
    expect((await call('del_corp_tag', { tag_id: [a.tag[1]!.id] }))['errcode']).toBe(40068);
    expect((await call('del_corp_tag', {}))['errcode']).toBe(40058);
  });

  it('only the creating application may edit or delete (81011): a group made in the admin console is read-only', async () => {
    const console = tags.admin(CORP).addConsoleCorpTags('后台标签', ['t1']);
    expect((await call('edit_corp_tag', { id: console.tag[0]!.id, name: 'x' }))['errcode']).toBe(81011);
    expect((await call('del_corp_tag', { group_id: [console.group_id] }))['errcode']).toBe(81011);
    expect(
      (await call('add_corp_tag', { group_id: console.group_id, tag: [{ name: 'x' }] }))['errcode'],
    ).toBe(81011);
    expect(((await call('get_corp_tag_list', {}))['tag_group'] as Group[]).map((g) => g.group_name)).toEqual([
      '后台标签',
    ]);
  });

  it('mark_tag adds and removes corp tags on a member’s customer; they show in follow_user.tags; 84061, 60111, 40068', async () => {
    const a = (await call('add_corp_tag', { group_name: '等级', tag: [{ name: 'VIP' }, { name: '普通' }] }))[
      'tag_group'
    ] as Group;
    const mark = (body: Record<string, unknown>) =>
      call('mark_tag', { userid: 'lisi', external_userid: 'wmDemoCustomer0001', ...body });
    expect((await mark({ add_tag: [a.tag[0]!.id, a.tag[1]!.id] }))['errcode']).toBe(0);
    expect((await mark({ remove_tag: [a.tag[1]!.id] }))['errcode']).toBe(0);
    const answer = (await (
      await fetch(
        `${tags.url}/cgi-bin/externalcontact/get?access_token=${t}&external_userid=wmDemoCustomer0001`,
      )
    ).json()) as { follow_user: { tags: unknown[] }[] };
    expect(answer.follow_user[0]!.tags).toEqual([
      { group_name: '等级', tag_name: 'VIP', type: 1, tag_id: a.tag[0]!.id },
    ]);
    expect((await mark({ userid: 'wangwu', add_tag: [a.tag[0]!.id] }))['errcode']).toBe(84061);
    expect((await mark({ userid: 'nobody', add_tag: [a.tag[0]!.id] }))['errcode']).toBe(60111);
    expect((await mark({ add_tag: ['etnone'] }))['errcode']).toBe(40068);
    expect((await mark({}))['errcode']).toBe(40058);
    await call('del_corp_tag', { group_id: [a.group_id] });
    const after = (await (
      await fetch(
        `${tags.url}/cgi-bin/externalcontact/get?access_token=${t}&external_userid=wmDemoCustomer0001`,
      )
    ).json()) as { follow_user: { tags: unknown[] }[] };
    expect(after.follow_user[0]!.tags).toEqual([]);
  });
});

describe('application messages (90236 发送应用消息)', () => {
  const AGENT = 1000002; // the corp's default agentid
  const text = (extra: Record<string, unknown>) => ({
    msgtype: 'text',
    agentid: AGENT,
    text: { content: '风险日志: lisi deleted VIP客户' },
    ...extra,
  });

  it('answers errcode 0, msgid and invaliduser/invalidparty/invalidtag/unlicenseduser; delivers to the valid ones only', async () => {
    const t = await token();
    const sent = await post(
      '/cgi-bin/message/send',
      t,
      text({ touser: 'zhangsan|Nobody|lisi', toparty: '2|999' }),
    );
    expect(sent).toMatchObject({ errcode: 0, errmsg: 'ok', invaliduser: 'nobody', invalidparty: '999' });
    const { errcode: _e, errmsg: _m, ...fields } = sent;
    expectShape(fields, {
      invaliduser: 'string',
      invalidparty: 'string',
      invalidtag: 'string',
      unlicenseduser: 'string',
      msgid: 'string',
      response_code: 'string',
    });
    const delivered = sandbox.admin(CORP).appMessages.find((m) => m.msgid === sent['msgid']);
    expect(delivered).toMatchObject({
      touser: ['zhangsan', 'lisi'],
      toparty: ['2'],
      content: '风险日志: lisi deleted VIP客户',
    });
  });

  it('81013 when no recipient is valid (nothing delivered); 40056/41011 agentid; 44004 empty text; 40008 other msgtype', async () => {
    const t = await token();
    const before = sandbox.admin(CORP).appMessages.length;
    expect((await post('/cgi-bin/message/send', t, text({ touser: 'nobody|ghost' })))['errcode']).toBe(81013);
    expect(sandbox.admin(CORP).appMessages.length).toBe(before);
    expect(
      (await post('/cgi-bin/message/send', t, text({ touser: 'zhangsan', agentid: 42 })))['errcode'],
    ).toBe(40056);
    expect(
      (await post('/cgi-bin/message/send', t, text({ touser: 'zhangsan', agentid: undefined })))['errcode'],
    ).toBe(41011);
    expect(
      (await post('/cgi-bin/message/send', t, text({ touser: 'zhangsan', text: { content: '' } })))[
        'errcode'
      ],
    ).toBe(44004);
    expect(
      (await post('/cgi-bin/message/send', t, text({ touser: 'zhangsan', msgtype: 'voice' })))['errcode'],
    ).toBe(40008);
    expect((await post('/cgi-bin/message/send', 'nope', text({ touser: 'zhangsan' })))['errcode']).toBe(
      40014,
    );
  });
});
