// Tencent Exmail's (腾讯企业邮) contacts API, as documented at https://exmail.qq.com/qy_mng_logic/doc#10001
// (成员 #10014-#10019, 部门 #10008-#10013, 邮件群组 #10022-#10025): a separate host (api.exmail.qq.com) with
// its own corpsecret per application, paths under /cgi-bin/, errors as HTTP 200 + errcode like WeCom.
// The sandbox serves it under /exmail. Facts not found in the documentation are modelled on WeCom (see README).
import { E } from './errors';
import { str, type Answer, type Params, type Route } from './route';

export type ExmailDepartment = { id: number; name: string; parentid: number; order: number };

export type ExmailUser = {
  /** The mailbox address: Exmail's account key. */
  userid: string;
  name: string;
  department: number[];
  position: string;
  mobile: string;
  tel: string;
  /** 编号: a free external number; TagGuard keeps the employee id here. */
  extid: string;
  gender: '0' | '1' | '2';
  slaves: string[];
  /** 1 enabled, 0 disabled. */
  enable: 0 | 1;
  cpwd_login: 0 | 1;
};

export type ExmailGroup = {
  /** The group's address: its key. */
  groupid: string;
  groupname: string;
  userlist: string[];
  grouplist: string[];
  department: number[];
  /** 0 企业成员, 1 任何人, 2 组内成员, 3 指定成员. */
  allow_type: 0 | 1 | 2 | 3;
  allow_userlist: string[];
};

/** One corp's mailboxes, departments and mail groups; insertion order is list order. */
export class ExmailState {
  readonly departments = new Map<number, ExmailDepartment>([
    [1, { id: 1, name: '企业邮箱', parentid: 0, order: 0 }],
  ]);
  readonly users = new Map<string, ExmailUser>();
  readonly groups = new Map<string, ExmailGroup>();
  private nextDepartmentId = 2;

  addDepartment(name: string, parentid = 1): ExmailDepartment {
    const department = { id: this.nextDepartmentId++, name, parentid, order: 0 };
    this.departments.set(department.id, department);
    return department;
  }

  /** The department and every department below it. */
  subtree(rootId: number): Set<number> {
    const inTree = new Set([rootId]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const d of this.departments.values())
        if (!inTree.has(d.id) && inTree.has(d.parentid)) grew = Boolean(inTree.add(d.id));
    }
    return inTree;
  }

  clear(): void {
    this.users.clear();
    this.groups.clear();
    for (const id of this.departments.keys()) if (id !== 1) this.departments.delete(id);
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

function email(value: unknown, field: string): string {
  const text = str(value)?.trim() ?? '';
  if (!EMAIL.test(text)) throw E.invalidParam(`${field} must be an address`);
  return text;
}
function strings(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw E.invalidParam(`${field} must be an array`);
  return [...new Set(value.map(String))];
}
function departments(state: ExmailState, value: unknown, field: string, max = Infinity): number[] {
  if (!Array.isArray(value) || value.length > max)
    throw E.invalidParam(`${field} must be an array of ≤${max}`);
  const ids = [...new Set(value.map(Number))];
  for (const id of ids) if (!state.departments.has(id)) throw E.noDepartmentExists(id);
  return ids;
}
function name(value: unknown, field: string, min: number): string {
  const text = str(value) ?? '';
  if (bytes(text) < min || bytes(text) > 64) throw E.invalidParam(`${field} must be ${min}..64 bytes`);
  return text;
}
function flag(value: unknown, field: string): 0 | 1 {
  const n = Number(value);
  if (n !== 0 && n !== 1) throw E.invalidParam(`${field} must be 0 or 1`);
  return n;
}

const userView = (u: ExmailUser): Answer => ({ ...u });

function applyUser(state: ExmailState, user: ExmailUser, p: Params, creating: boolean): void {
  if (p['name'] !== undefined || creating) user.name = name(p['name'], 'name', 1);
  if (p['department'] !== undefined || creating)
    user.department = departments(state, p['department'], 'department', 20);
  if (creating && !user.department.length) throw E.invalidParam('department must not be empty');
  for (const field of ['position', 'mobile', 'tel', 'extid'] as const)
    if (p[field] !== undefined) user[field] = str(p[field]) ?? '';
  if (user.position && bytes(user.position) > 64) throw E.invalidParam('position must be ≤64 bytes');
  if (p['gender'] !== undefined) {
    const gender = String(p['gender']);
    if (gender !== '0' && gender !== '1' && gender !== '2') throw E.invalidParam('gender must be 1 or 2');
    user.gender = gender;
  }
  if (p['slaves'] !== undefined) {
    const slaves = strings(p['slaves'], 'slaves');
    if (slaves.length > 5) throw E.invalidParam('slaves: at most 5');
    user.slaves = slaves.map((s) => email(s, 'slaves'));
  }
  if (p['enable'] !== undefined) user.enable = flag(p['enable'], 'enable');
  if (p['cpwd_login'] !== undefined) user.cpwd_login = flag(p['cpwd_login'], 'cpwd_login');
}

function applyGroup(state: ExmailState, group: ExmailGroup, p: Params, creating: boolean): void {
  if (p['groupname'] !== undefined || creating) group.groupname = name(p['groupname'], 'groupname', 1);
  for (const other of state.groups.values())
    if (other.groupid !== group.groupid && other.groupname === group.groupname)
      throw E.invalidParam(`groupname ${group.groupname} is taken`);
  if (p['userlist'] !== undefined) {
    group.userlist = strings(p['userlist'], 'userlist');
    for (const u of group.userlist) if (!state.users.has(u)) throw E.noUser(u);
  }
  if (p['grouplist'] !== undefined) {
    group.grouplist = strings(p['grouplist'], 'grouplist');
    for (const g of group.grouplist) if (!state.groups.has(g) || g === group.groupid) throw E.noGroup(g);
  }
  if (p['department'] !== undefined) group.department = departments(state, p['department'], 'department');
  // 成员由userlist,grouplist,department共同组成, at least one of them: a mail group never has no source.
  if (!group.userlist.length && !group.grouplist.length && !group.department.length)
    throw E.invalidParam('userlist, grouplist and department: at least one');
  if (p['allow_type'] !== undefined || creating) {
    const allow = Number(p['allow_type']);
    if (![0, 1, 2, 3].includes(allow)) throw E.invalidParam('allow_type must be 0..3');
    group.allow_type = allow as ExmailGroup['allow_type'];
  }
  if (p['allow_userlist'] !== undefined)
    group.allow_userlist = strings(p['allow_userlist'], 'allow_userlist');
  if (group.allow_type === 3 && !group.allow_userlist.length)
    throw E.invalidParam('allow_userlist is required when allow_type is 3');
}

function usersIn(state: ExmailState, p: Params): ExmailUser[] {
  const id = Number(p['department_id']);
  if (!state.departments.has(id)) throw E.noDepartmentExists(p['department_id']);
  const scope = String(p['fetch_child'] ?? '0') === '1' ? state.subtree(id) : new Set([id]);
  return [...state.users.values()].filter((u) => u.department.some((d) => scope.has(d)));
}

const route = (method: 'GET' | 'POST', handle: (s: ExmailState, p: Params) => Answer): Route => ({
  method,
  auth: true,
  api: 'exmail',
  handle: (corp, p) => handle(corp.exmail, p),
});

/** The Exmail paths, relative to the Exmail host (the sandbox mounts them under /exmail). */
export const EXMAIL_ROUTES: Record<string, Route> = {
  '/cgi-bin/department/create': route('POST', (s, p) => {
    const parent = Number(p['parentid']);
    if (!s.departments.has(parent)) throw E.noDepartmentExists(p['parentid']);
    const department = s.addDepartment(name(p['name'], 'name', 1), parent);
    return { errmsg: 'created', id: department.id };
  }),
  '/cgi-bin/department/list': route('GET', (s, p) => {
    const id = p['id'] === undefined || p['id'] === '' ? 1 : Number(p['id']);
    if (!s.departments.has(id)) throw E.noDepartmentExists(p['id']);
    const tree = s.subtree(id);
    return { department: [...s.departments.values()].filter((d) => tree.has(d.id) && d.id !== id) };
  }),
  '/cgi-bin/user/create': route('POST', (s, p) => {
    const userid = email(p['userid'], 'userid');
    if (s.users.has(userid)) throw E.userExists(userid);
    if (!str(p['password'])) throw E.invalidParam('password is required');
    const user: ExmailUser = {
      userid,
      name: '',
      department: [],
      position: '',
      mobile: '',
      tel: '',
      extid: '',
      gender: '0',
      slaves: [],
      enable: 1,
      cpwd_login: 0,
    };
    applyUser(s, user, { ...p, enable: undefined }, true);
    s.users.set(userid, user);
    return { errmsg: 'created' };
  }),
  '/cgi-bin/user/update': route('POST', (s, p) => {
    const userid = str(p['userid'])?.trim() ?? '';
    const user = s.users.get(userid);
    if (!user) throw E.noUser(userid);
    const next = structuredClone(user);
    applyUser(s, next, p, false);
    s.users.set(userid, next);
    return { errmsg: 'updated' };
  }),
  '/cgi-bin/user/get': route('GET', (s, p) => {
    const userid = str(p['userid']) ?? '';
    const user = s.users.get(userid);
    if (!user) throw E.noUser(userid);
    return { errmsg: 'ok', ...userView(user) };
  }),
  '/cgi-bin/user/delete': route('GET', (s, p) => {
    const userid = str(p['userid']) ?? '';
    if (!s.users.delete(userid)) throw E.noUser(userid);
    for (const g of s.groups.values()) g.userlist = g.userlist.filter((u) => u !== userid);
    return { errmsg: 'deleted' };
  }),
  '/cgi-bin/user/simplelist': route('GET', (s, p) => ({
    errmsg: 'ok',
    userlist: usersIn(s, p).map((u) => ({ userid: u.userid, name: u.name, department: u.department })),
  })),
  '/cgi-bin/user/list': route('GET', (s, p) => ({ errmsg: 'ok', userlist: usersIn(s, p).map(userView) })),
  '/cgi-bin/group/create': route('POST', (s, p) => {
    const groupid = email(p['groupid'], 'groupid');
    if (s.groups.has(groupid) || s.users.has(groupid)) throw E.groupExists(groupid);
    const group: ExmailGroup = {
      groupid,
      groupname: '',
      userlist: [],
      grouplist: [],
      department: [],
      allow_type: 0,
      allow_userlist: [],
    };
    applyGroup(s, group, p, true);
    s.groups.set(groupid, group);
    return { errmsg: 'created' };
  }),
  '/cgi-bin/group/update': route('POST', (s, p) => {
    const groupid = str(p['groupid'])?.trim() ?? '';
    const group = s.groups.get(groupid);
    if (!group) throw E.noGroup(groupid);
    const next = structuredClone(group);
    applyGroup(s, next, p, false);
    s.groups.set(groupid, next);
    return { errmsg: 'updated' };
  }),
  '/cgi-bin/group/get': route('GET', (s, p) => {
    const groupid = str(p['groupid']) ?? '';
    const group = s.groups.get(groupid);
    if (!group) throw E.noGroup(groupid);
    return { errmsg: 'ok', ...structuredClone(group) };
  }),
  '/cgi-bin/group/delete': route('GET', (s, p) => {
    const groupid = str(p['groupid']) ?? '';
    if (!s.groups.delete(groupid)) throw E.noGroup(groupid);
    for (const g of s.groups.values()) g.grouplist = g.grouplist.filter((x) => x !== groupid);
    return { errmsg: 'deleted' };
  }),
};
