// The Exmail-style connector (腾讯企业邮, https://exmail.qq.com/qy_mng_logic/doc#10001): accounts are
// mailboxes keyed by address with the employee id in `extid` and `enable` 1/0; tag groups are mail groups
// keyed by their address with `userlist`. HTTP, token cache/refresh, backoff and budget are WeComClient's
// (the same gettoken/errcode conventions, on Exmail's host with its own corpsecret).
import { randomBytes } from 'node:crypto';
import {
  DownstreamRejectedError,
  DownstreamUnavailableError,
  type DownstreamAccount,
  type DownstreamDirectory,
  type DownstreamGroup,
} from '../port/downstream-directory.port';
import { WeComApiError, type WeComClient } from '../../wecom/wecom.client';
import type { ExmailKeyStore } from './exmail-keys';

export type ExmailDirectoryOptions = {
  /** A WeComClient on Exmail's host (https://api.exmail.qq.com) with the 通讯录管理 corpsecret. */
  client: WeComClient;
  keys: ExmailKeyStore;
  /** Where new mailboxes are created; listAccounts reads this department and those below it. */
  accountDepartmentId: number;
  /**
   * An Exmail department kept without members: a mail group must have a member source, so a group whose
   * tag has no members is pointed at it (and reads back as no members).
   */
  emptyGroupDepartmentId: number;
  /** The initial password of a created mailbox (Exmail requires one); the user must change it at login. */
  initialPassword?: () => string;
};

type ExmailUser = { userid: string; name: string; extid: string; enable: number; department: number[] };
type ExmailGroup = { groupid: string; groupname: string; userlist: string[]; department: number[] };

// Exmail answers WeCom's errcodes (90313); the mail-group two are the sandbox's (see its README).
const NOT_FOUND = new Set([60111, 60301]);
const INVALID = new Set([40058, 60003, 40003]);
const CONFLICT = new Set([60102, 60302]);
const UNAUTHORIZED = new Set([40001, 40013, 40014, 42001, 60011]);

export class ExmailDirectory implements DownstreamDirectory {
  readonly kind = 'exmail';

  constructor(private readonly options: ExmailDirectoryOptions) {}

  async upsertAccount(account: DownstreamAccount): Promise<void> {
    const current = await this.user(account.email);
    const enable = account.active ? 1 : 0;
    if (!current) {
      await this.call(() =>
        this.options.client.post('/cgi-bin/user/create', {
          userid: account.email,
          name: account.displayName,
          department: [this.options.accountDepartmentId],
          extid: account.employeeId,
          password: this.options.initialPassword?.() ?? `Tg${randomBytes(12).toString('base64url')}9`,
          cpwd_login: 1,
        }),
      );
      // user/create documents no `enable`: a mailbox starts enabled, so a disabled one is disabled next.
      if (!account.active) await this.update(account.email, { enable: 0 });
    } else if (
      current.name !== account.displayName ||
      current.extid !== account.employeeId ||
      current.enable !== enable
    )
      await this.update(account.email, { name: account.displayName, extid: account.employeeId, enable });
    const previous = await this.options.keys.get('account', account.employeeId);
    if (previous && previous !== account.email) {
      await this.moveGroupMembership(previous, account.email);
      await this.retire(previous);
    }
    await this.options.keys.put('account', account.employeeId, account.email);
  }

  /**
   * The mail groups holding the old address get the new one (D106): a planned group holds employee ids,
   * which an address change leaves as they are, so no group change is queued for it. Every kept group is
   * read (Exmail lists none by member): address changes are rare. Idempotent, so a replay is harmless.
   */
  private async moveGroupMembership(from: string, to: string): Promise<void> {
    for (const { address } of await this.options.keys.list('group')) {
      const group = await this.group(address);
      if (!group?.userlist.includes(from)) continue;
      const userlist = [...new Set(group.userlist.map((a) => (a === from ? to : a)))];
      await this.call(() =>
        this.options.client.post('/cgi-bin/group/update', {
          groupid: address,
          groupname: group.groupname,
          userlist,
          department: group.department,
        }),
      );
    }
  }

  /**
   * The employee's address changed (D79): Exmail cannot rename a mailbox (user/update has no new userid),
   * and deleting one deletes its mail. So the new mailbox is created (above) and the old one disabled and
   * released (extid cleared: it is no longer this employee's account, drift no longer lists it). Kept, not
   * deleted: an administrator may still move its mail. Idempotent; an old mailbox already gone is fine.
   */
  private async retire(address: string): Promise<void> {
    try {
      await this.update(address, { enable: 0, extid: '' });
    } catch (error) {
      if (!(error instanceof DownstreamRejectedError && error.code === 'not_found')) throw error;
    }
  }

  async setAccountActive(employeeId: string, active: boolean): Promise<void> {
    const address =
      (await this.options.keys.get('account', employeeId)) ?? (await this.findAddress(employeeId));
    if (!address)
      throw new DownstreamRejectedError(this.kind, 'not_found', `no mailbox for employee ${employeeId}`);
    // update with only `enable`: Exmail leaves the fields not given as they are.
    await this.update(address, { enable: active ? 1 : 0 });
  }

  async upsertGroup(group: DownstreamGroup): Promise<void> {
    const userlist: string[] = [];
    for (const id of group.memberEmployeeIds) {
      const address = (await this.options.keys.get('account', id)) ?? (await this.findAddress(id));
      if (!address) throw new DownstreamRejectedError(this.kind, 'not_found', `member ${id} has no mailbox`);
      userlist.push(address);
    }
    const department = userlist.length ? [] : [this.options.emptyGroupDepartmentId];
    const previous = await this.options.keys.get('group', group.groupId);
    if (previous && previous !== group.email) await this.deleteGroup(previous);
    // Recorded before the create: a crash between the two leaves a key whose group listGroups skips.
    await this.options.keys.put('group', group.groupId, group.email);
    const current = await this.group(group.email);
    const body = { groupid: group.email, groupname: group.displayName, userlist, department };
    if (!current)
      await this.call(() => this.options.client.post('/cgi-bin/group/create', { ...body, allow_type: 0 }));
    else if (
      current.groupname !== group.displayName ||
      !sameSet(current.userlist, userlist) ||
      !sameSet(current.department, department)
    )
      await this.call(() => this.options.client.post('/cgi-bin/group/update', body));
  }

  async removeGroup(groupId: string): Promise<void> {
    const address = await this.options.keys.get('group', groupId);
    if (!address) return;
    await this.deleteGroup(address);
    await this.options.keys.delete('group', groupId);
  }

  async *listAccounts(): AsyncIterable<DownstreamAccount> {
    for (const u of await this.managedUsers())
      yield { employeeId: u.extid, email: u.userid, displayName: u.name, active: u.enable === 1 };
  }

  async *listGroups(): AsyncIterable<DownstreamGroup> {
    const employeeOf = new Map((await this.managedUsers()).map((u) => [u.userid, u.extid]));
    for (const { key, address } of await this.options.keys.list('group')) {
      const group = await this.group(address);
      if (!group) continue;
      // Members without a TagGuard mailbox (no extid) are not TagGuard's to report.
      const members = group.userlist.flatMap((a) => (employeeOf.has(a) ? [employeeOf.get(a)!] : []));
      yield {
        groupId: key,
        displayName: group.groupname,
        email: group.groupid,
        memberEmployeeIds: [...new Set(members)].sort(),
      };
    }
  }

  close(): Promise<void> {
    // Nothing held open: each call is its own fetch (the key store belongs to the caller).
    return Promise.resolve();
  }

  private async managedUsers(): Promise<ExmailUser[]> {
    const answer = await this.call(() =>
      this.options.client.get<{ userlist: ExmailUser[] }>('/cgi-bin/user/list', {
        department_id: this.options.accountDepartmentId,
        fetch_child: 1,
      }),
    );
    return answer.userlist.filter((u) => u.extid);
  }

  private async findAddress(employeeId: string): Promise<string | undefined> {
    const found = (await this.managedUsers()).find((u) => u.extid === employeeId)?.userid;
    if (found) await this.options.keys.put('account', employeeId, found);
    return found;
  }

  private update(address: string, change: Record<string, unknown>): Promise<unknown> {
    return this.call(() => this.options.client.post('/cgi-bin/user/update', { userid: address, ...change }));
  }

  private async deleteGroup(address: string): Promise<void> {
    try {
      await this.call(() => this.options.client.get('/cgi-bin/group/delete', { groupid: address }));
    } catch (error) {
      if (!(error instanceof DownstreamRejectedError && error.code === 'not_found')) throw error;
    }
  }

  private user(address: string): Promise<ExmailUser | undefined> {
    return this.orAbsent(() =>
      this.options.client.get<ExmailUser & { errcode: number }>('/cgi-bin/user/get', { userid: address }),
    );
  }

  private group(address: string): Promise<ExmailGroup | undefined> {
    return this.orAbsent(() =>
      this.options.client.get<ExmailGroup & { errcode: number }>('/cgi-bin/group/get', { groupid: address }),
    );
  }

  private async orAbsent<T>(send: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.call(send);
    } catch (error) {
      if (error instanceof DownstreamRejectedError && error.code === 'not_found') return undefined;
      throw error;
    }
  }

  /** Exmail's errcodes as the port's errors: unreachable (retries spent) vs refused, with a code. */
  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof WeComApiError)) throw error;
      const { errcode } = error;
      if (errcode === -1 || errcode === 45009)
        throw new DownstreamUnavailableError(this.kind, error.message, error);
      const code = NOT_FOUND.has(errcode)
        ? 'not_found'
        : INVALID.has(errcode)
          ? 'invalid'
          : CONFLICT.has(errcode)
            ? 'conflict'
            : UNAUTHORIZED.has(errcode)
              ? 'unauthorized'
              : 'other';
      throw new DownstreamRejectedError(this.kind, code, error.message);
    }
  }
}

function sameSet<T>(a: T[], b: T[]): boolean {
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((x) => set.has(x));
}
