import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CorpAdmin, type CorpConfig } from './corp-admin';
import { RateLimiter, WECOM_DOCUMENTED_LIMITS, type RateWindow } from './rate-limiter';
import type { SandboxDirectory, SandboxExternalContact, SandboxUser } from './sandbox-directory';
import { APP_MESSAGE_ROUTES } from './app-messages';
import { CORP_TAG_ROUTES } from './corp-tags';
import { E, WeComError } from './errors';
import { EXMAIL_ROUTES } from './exmail';
import { str, type Answer, type Params, type Route } from './route';

export type WeComSandboxOptions = {
  host?: string;
  port?: number;
  corps: CorpConfig[];
  /** Per corp, per API path; WeCom's documented 10,000/min and 150,000/h unless given. */
  limits?: RateWindow[];
  /** access_token lifetime; WeCom's is 7200 s. */
  tokenTtlSeconds?: number;
  /** The frequency windows' clock; tests pass their own so a window cannot close under a slow machine. */
  now?: () => number;
};

export type WeComSandbox = {
  url: string;
  admin(corpId: string): CorpAdmin;
  setLimits(limits: RateWindow[]): void;
  close(): Promise<void>;
};

// Cursors are opaque to clients; here an offset into the stable (insertion-ordered) list.
const encodeCursor = (offset: number): string => Buffer.from(`o:${offset}`).toString('base64url');
function decodeCursor(cursor: unknown): number {
  if (cursor === undefined || cursor === '' || cursor === null) return 0;
  const text = Buffer.from(String(cursor), 'base64url').toString();
  const offset = text.startsWith('o:') ? Number(text.slice(2)) : NaN;
  if (!Number.isInteger(offset) || offset < 0) throw E.invalidParam('cursor');
  return offset;
}
function page<T>(items: T[], cursor: unknown, limit: number): { items: T[]; next: string } {
  const offset = decodeCursor(cursor);
  const slice = items.slice(offset, offset + limit);
  return { items: slice, next: offset + limit < items.length ? encodeCursor(offset + limit) : '' };
}
function limitOf(value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw E.invalidParam(`limit must be 1..${max}`);
  return n;
}

const userView = (u: SandboxUser) => ({
  userid: u.userid,
  name: u.name,
  department: u.department,
  order: u.order,
  position: u.position,
  mobile: u.mobile ?? '',
  gender: u.gender ?? '0',
  email: u.email ?? '',
  is_leader_in_dept: u.is_leader_in_dept,
  direct_leader: [],
  avatar: '',
  thumb_avatar: '',
  telephone: '',
  alias: '',
  status: u.status,
  enable: u.enable,
  main_department: u.main_department,
});

const contactView = (c: SandboxExternalContact) => ({
  external_userid: c.external_userid,
  name: c.name,
  type: c.type,
  gender: c.gender,
  avatar: '',
  ...(c.type === 2
    ? { corp_name: c.corp_name ?? '', corp_full_name: c.corp_full_name ?? '', position: c.position ?? '' }
    : {}),
});

/**
 * A local stand-in for WeCom's server API (qyapi.weixin.qq.com): the documented subset the contacts
 * connector uses, with WeCom's paths, field names, errcodes, cursors, token expiry and frequency limits.
 *
 * Subset (doc pages under https://developer.work.weixin.qq.com/document/path/):
 *   GET  /cgi-bin/gettoken                                91039
 *   GET  /cgi-bin/department/list  (?id= subtree)          90208
 *   GET  /cgi-bin/department/get   (?id=)                  95351
 *   GET  /cgi-bin/user/list        (?department_id=)       90201 (users of one department, details)
 *   GET  /cgi-bin/user/simplelist  (?department_id=)       90200
 *   POST /cgi-bin/user/list_id     {cursor, limit≤10000}   96021
 *   GET  /cgi-bin/user/get         (?userid=)              90196
 *   GET  /cgi-bin/externalcontact/list (?userid=)          92113
 *   GET  /cgi-bin/externalcontact/get  (?external_userid=&cursor=)  92114 (follow_user paged by 500)
 *   POST /cgi-bin/externalcontact/batch/get_by_user {userid_list≤100, cursor, limit≤100}  93010
 *   POST /cgi-bin/corpgroup/corp/list_app_share_info {agentid, business_type, cursor, limit≤100}  93403
 *   POST /cgi-bin/linkedcorp/agent/get_perm_list {}        93172
 *   POST /cgi-bin/linkedcorp/user/get {userid: "CORPID/USERID"}  93171
 *   POST /cgi-bin/message/send     {touser, toparty, totag, msgtype text, agentid}  90236 (app-messages.ts)
 * Not WeCom: /sandbox/... admin endpoints (seed, change, expire tokens) for the demo and scripts.
 */
export async function startWeComSandbox(options: WeComSandboxOptions): Promise<WeComSandbox> {
  const corps = new Map(options.corps.map((c) => [c.corpId, new CorpAdmin({ ...c })]));
  const limiter = new RateLimiter(options.limits ?? WECOM_DOCUMENTED_LIMITS);
  const now = options.now ?? Date.now;
  const ttl = options.tokenTtlSeconds ?? 7200;
  // Which corp, and which API (WeCom or Exmail: separate secrets, separate tokens), each token was issued for.
  const tokenOwner = new Map<string, { corp: CorpAdmin; api: 'wecom' | 'exmail' }>();

  const routes: Record<string, Route> = {
    '/cgi-bin/department/list': {
      method: 'GET',
      auth: true,
      handle: (corp, p) => {
        const id = p['id'];
        if (id === undefined || id === '') return { department: [...corp.state.departments.values()] };
        if (!corp.state.departments.has(Number(id))) throw E.noDepartment(id);
        return { department: corp.state.subtree(Number(id)) };
      },
    },
    '/cgi-bin/department/get': {
      method: 'GET',
      auth: true,
      handle: (corp, p) => {
        const department = corp.state.departments.get(Number(p['id']));
        if (!department) throw E.noDepartment(p['id']);
        return { department };
      },
    },
    '/cgi-bin/user/list': {
      method: 'GET',
      auth: true,
      handle: (corp, p) => ({ userlist: usersOf(corp, p).map(userView) }),
    },
    '/cgi-bin/user/simplelist': {
      method: 'GET',
      auth: true,
      handle: (corp, p) => ({
        userlist: usersOf(corp, p).map((u) => ({ userid: u.userid, name: u.name, department: u.department })),
      }),
    },
    '/cgi-bin/user/list_id': {
      method: 'POST',
      auth: true,
      handle: (corp, p) => {
        const rows = [...corp.state.users.values()].flatMap((u) =>
          u.department.map((department) => ({ userid: u.userid, department })),
        );
        const { items, next } = page(rows, p['cursor'], limitOf(p['limit'], 10_000, 10_000));
        return { next_cursor: next, dept_user: items };
      },
    },
    '/cgi-bin/user/get': {
      method: 'GET',
      auth: true,
      handle: (corp, p) => {
        const userid = str(p['userid']) ?? '';
        const user = corp.state.users.get(userid);
        if (!user) throw E.noUser(userid);
        return userView(user);
      },
    },
    '/cgi-bin/externalcontact/list': {
      method: 'GET',
      auth: true,
      handle: (corp, p) => {
        const userid = str(p['userid']) ?? '';
        if (!corp.state.users.has(userid)) throw E.noUser(userid);
        const ids = [...corp.state.externalContacts.values()]
          .filter((c) => c.follow_user.some((f) => f.userid === userid))
          .map((c) => c.external_userid);
        if (!ids.length) throw E.noRelation(userid);
        return { external_userid: ids };
      },
    },
    '/cgi-bin/externalcontact/get': {
      method: 'GET',
      auth: true,
      handle: (corp, p) => {
        const id = str(p['external_userid']) ?? '';
        const contact = corp.state.externalContacts.get(id);
        if (!contact) throw E.noRelation(id);
        const { items, next } = page(contact.follow_user, p['cursor'], 500);
        return { external_contact: contactView(contact), follow_user: items, next_cursor: next };
      },
    },
    '/cgi-bin/externalcontact/batch/get_by_user': {
      method: 'POST',
      auth: true,
      handle: (corp, p) => {
        const list = p['userid_list'];
        if (!Array.isArray(list) || list.length < 1 || list.length > 100)
          throw E.invalidParam('userid_list must hold 1..100 userids');
        for (const userid of list) if (!corp.state.users.has(String(userid))) throw E.noUser(String(userid));
        // Per follower, in userid_list order: the documented paging is over (follower, customer) pairs.
        const rows = [...new Set(list.map(String))].flatMap((userid) =>
          corp.state.contactsOf(userid).flatMap((c) =>
            c.follow_user
              .filter((f) => f.userid === userid)
              .map((f) => ({
                external_contact: contactView(c),
                follow_info: {
                  userid: f.userid,
                  remark: f.remark,
                  description: f.description,
                  createtime: f.createtime,
                  tag_id: f.tags.map((t, i) => t.tag_id ?? `et${c.external_userid}${i}`),
                  remark_corp_name: f.remark_corp_name ?? '',
                  remark_mobiles: f.remark_mobiles,
                  oper_userid: f.oper_userid,
                  add_way: f.add_way,
                },
              })),
          ),
        );
        const { items, next } = page(rows, p['cursor'], limitOf(p['limit'], 50, 100));
        return { external_contact_list: items, next_cursor: next };
      },
    },
    '/cgi-bin/corpgroup/corp/list_app_share_info': {
      method: 'POST',
      auth: true,
      handle: (corp, p) => {
        if (p['agentid'] === undefined) throw E.missingAgentId();
        const businessType = Number(p['business_type'] ?? 0);
        const rows = [...corp.state.partners.values()]
          .filter((x) => x.business_type === businessType)
          .map((x) => ({ corpid: x.corpid, corp_name: x.corp_name, agentid: x.agentid }));
        const { items, next } = page(rows, p['cursor'], limitOf(p['limit'], 100, 100));
        return { ending: next ? 0 : 1, corp_list: items, next_cursor: next };
      },
    },
    '/cgi-bin/linkedcorp/agent/get_perm_list': {
      method: 'POST',
      auth: true,
      handle: (corp) => ({ userids: [...corp.state.linkedUsers.keys()], department_ids: [] }),
    },
    '/cgi-bin/linkedcorp/user/get': {
      method: 'POST',
      auth: true,
      handle: (corp, p) => {
        const userid = str(p['userid']) ?? '';
        const user = corp.state.linkedUsers.get(userid);
        if (!user) throw E.noUser(userid);
        return { user_info: { ...user, position: user.position ?? '', mobile: '', email: '' } };
      },
    },
  };

  Object.assign(routes, CORP_TAG_ROUTES, APP_MESSAGE_ROUTES);
  for (const [path, route] of Object.entries(EXMAIL_ROUTES)) routes[`/exmail${path}`] = route;

  function usersOf(corp: CorpAdmin, p: Params): SandboxUser[] {
    const id = Number(p['department_id']);
    if (!corp.state.departments.has(id)) throw E.noDepartment(p['department_id']);
    if (String(p['fetch_child'] ?? '0') !== '1') return corp.state.usersIn(id);
    const inScope = new Set(corp.state.subtree(id).map((d) => d.id));
    return [...corp.state.users.values()].filter((u) => u.department.some((d) => inScope.has(d)));
  }

  function gettoken(p: Params, api: 'wecom' | 'exmail'): Answer {
    const corpId = str(p['corpid']);
    const secret = str(p['corpsecret']);
    if (!corpId) throw E.missingCorpId();
    if (!secret) throw E.missingSecret();
    const corp = corps.get(corpId);
    if (!corp) throw E.invalidCorpId();
    const expected = api === 'exmail' ? corp.config.exmailSecret : corp.config.secret;
    if (expected === undefined || expected !== secret) throw E.invalidCredential();
    const token = randomBytes(48).toString('base64url');
    corp.tokens.set(token, Date.now() + ttl * 1000);
    tokenOwner.set(token, { corp, api });
    return { access_token: token, expires_in: ttl };
  }

  function authenticate(p: Params, api: 'wecom' | 'exmail'): CorpAdmin {
    const token = str(p['access_token']);
    if (!token) throw E.missingToken();
    const owner = tokenOwner.get(token);
    const expiry = owner?.corp.tokens.get(token);
    // A WeCom token means nothing to Exmail and the other way round: another host, another secret.
    if (!owner || expiry === undefined || owner.api !== api) throw E.invalidToken();
    if (expiry <= Date.now()) throw E.expired();
    return owner.corp;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (url.pathname.startsWith('/sandbox/')) return adminHttp(url, req, res);
    const api = url.pathname.startsWith('/exmail/') ? 'exmail' : 'wecom';
    const isGettoken = url.pathname === '/cgi-bin/gettoken' || url.pathname === '/exmail/cgi-bin/gettoken';
    const route = isGettoken ? undefined : routes[url.pathname];
    if (!isGettoken && !route)
      return json(res, 404, { errcode: 404, errmsg: `sandbox: no API ${url.pathname}` });
    const params: Params = Object.fromEntries(url.searchParams);
    const body = req.method === 'POST' ? await readBody(req) : '';
    let corp: CorpAdmin | undefined;
    try {
      if (route && req.method !== route.method)
        throw new WeComError(-1, `sandbox: ${url.pathname} takes ${route.method}`);
      if (body) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          throw new WeComError(47001, 'data format error');
        }
        Object.assign(params, parsed);
      }
      if (!route) {
        corp = corps.get(str(params['corpid']) ?? '');
        if (corp) count(corp, url.pathname);
        if (corp && !limiter.take(`${corp.config.corpId} ${url.pathname}`, now())) throw E.rateLimited();
        return json(res, 200, { errcode: 0, errmsg: 'ok', ...gettoken(params, api) });
      }
      corp = authenticate(params, api);
      count(corp, url.pathname);
      if (!limiter.take(`${corp.config.corpId} ${url.pathname}`, now())) throw E.rateLimited();
      const fault = corp.faults.find(
        (f) => f.path === url.pathname && f.left > 0 && (!f.when || f.when(params)),
      );
      if (fault) {
        fault.left -= 1;
        throw new WeComError(fault.errcode, fault.errmsg ?? 'sandbox: planted fault');
      }
      return json(res, 200, { errcode: 0, errmsg: 'ok', ...route.handle(corp, params) });
    } catch (error) {
      if (!(error instanceof WeComError)) throw error;
      return json(res, 200, { errcode: error.errcode, errmsg: error.errmsg });
    }
  }

  const count = (corp: CorpAdmin, path: string) => corp.calls.set(path, (corp.calls.get(path) ?? 0) + 1);

  // Admin over HTTP for the standalone sandbox: POST /sandbox/corps/<corpId>/<action> with a JSON body.
  async function adminHttp(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [, , kind, corpId, action] = url.pathname.split('/');
    const corp = kind === 'corps' ? corps.get(decodeURIComponent(corpId ?? '')) : undefined;
    if (!corp) return json(res, 404, { error: 'unknown corp' });
    if (req.method === 'GET' && action === 'directory') return json(res, 200, corp.snapshot());
    if (req.method === 'GET' && action === 'exmail')
      return json(res, 200, {
        users: [...corp.exmail.users.values()],
        groups: [...corp.exmail.groups.values()],
      });
    if (req.method === 'GET' && action === 'corp-tags') return json(res, 200, corp.corpTags.groups);
    if (req.method === 'GET' && action === 'app-messages') return json(res, 200, corp.appMessages);
    if (req.method !== 'POST') return json(res, 405, { error: 'POST' });
    const input = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>;
    const actions: Record<string, () => unknown> = {
      seed: () => corp.seed(input as unknown as SandboxDirectory),
      'expire-tokens': () => corp.expireTokens(),
      'upsert-department': () => corp.upsertDepartment(input as never),
      'delete-department': () => corp.deleteDepartment(Number(input['id'])),
      'upsert-user': () => corp.upsertUser(input as never),
      'update-user': () => corp.updateUser(String(input['userid']), input as never),
      'delete-user': () => corp.deleteUser(String(input['userid'])),
      'upsert-external-contact': () => corp.upsertExternalContact(input as never),
      'delete-external-contact': () =>
        corp.deleteExternalContact(String(input['external_userid']), String(input['userid'])),
      'verify-callback-url': () => corp.verifyCallbackUrl(),
    };
    const run = actions[action ?? ''];
    if (!run) return json(res, 404, { error: `unknown action ${action}` });
    try {
      return json(res, 200, { ok: true, result: (await run()) ?? null });
    } catch (error) {
      return json(res, 400, { ok: false, error: (error as Error).message });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { errcode: -1, errmsg: `sandbox: ${(error as Error).message}` });
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    admin(corpId) {
      const corp = corps.get(corpId);
      if (!corp) throw new Error(`the sandbox has no corp ${corpId}`);
      return corp;
    },
    setLimits: (limits) => limiter.setWindows(limits),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
