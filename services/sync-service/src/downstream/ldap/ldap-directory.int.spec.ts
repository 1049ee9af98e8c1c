import { randomUUID } from 'node:crypto';
import { Client, InvalidCredentialsError } from 'ldapts';
import { freePort, testLdap } from '@tagguard/testing';
import { describeDownstreamDirectoryContract } from '../port/downstream-directory.contract';
import {
  DownstreamRejectedError,
  DownstreamUnavailableError,
  type DownstreamAccount,
} from '../port/downstream-directory.port';
import { LdapDirectory } from './ldap-directory';

const ldap = testLdap();
const connector = (tenantId = `t-${randomUUID().slice(0, 8)}`) =>
  new LdapDirectory({
    url: ldap.url,
    bindDn: ldap.adminDn,
    bindPassword: ldap.adminPassword,
    baseDn: ldap.baseDn,
    tenantId,
    connections: 2,
  });

/** Removes a tenant's subtree, deepest entries first. */
async function removeTenant(dir: LdapDirectory): Promise<void> {
  const admin = new Client({ url: ldap.url });
  await admin.bind(ldap.adminDn, ldap.adminPassword);
  try {
    const { searchEntries } = await admin.search(dir.tenantDn, { scope: 'sub', attributes: ['1.1'] });
    for (const { dn } of searchEntries.sort((a, b) => b.dn.length - a.dn.length)) await admin.del(dn);
  } catch {
    /* nothing was written */
  } finally {
    await admin.unbind();
  }
}

describeDownstreamDirectoryContract('LDAP (OpenLDAP slapd)', async () => {
  const port = connector();
  return { port, cleanup: () => removeTenant(port) };
});

describe('LdapDirectory against slapd', () => {
  let dir: LdapDirectory;
  beforeEach(() => {
    dir = connector();
  });
  afterEach(async () => {
    await dir.close();
    await removeTenant(dir);
  });

  const account = (id: string, active = true): DownstreamAccount => ({
    employeeId: id,
    email: `${id}@example.test`,
    displayName: id,
    active,
  });
  const all = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
    const out: T[] = [];
    for await (const x of it) out.push(x);
    return out;
  };

  /** What the mail admin does outside TagGuard: give the mailbox a password. */
  async function setPassword(employeeId: string, password: string): Promise<void> {
    const admin = new Client({ url: ldap.url });
    await admin.bind(ldap.adminDn, ldap.adminPassword);
    try {
      const { Attribute, Change } = await import('ldapts');
      await admin.modify(
        dir.accountDn(employeeId),
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'userPassword', values: [password] }),
        }),
      );
    } finally {
      await admin.unbind();
    }
  }

  async function canBind(employeeId: string, password: string): Promise<boolean> {
    const client = new Client({ url: ldap.url });
    try {
      await client.bind(dir.accountDn(employeeId), password);
      return true;
    } catch (error) {
      if (error instanceof InvalidCredentialsError) return false;
      throw error;
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  it('given an account with a password, when disabled, then slapd refuses its bind; re-enabled, it binds again', async () => {
    await dir.upsertAccount(account('zhaoliu'));
    await setPassword('zhaoliu', 'mailbox-secret');
    expect(await canBind('zhaoliu', 'mailbox-secret')).toBe(true);

    await dir.setAccountActive('zhaoliu', false);
    expect(await canBind('zhaoliu', 'mailbox-secret')).toBe(false);

    // An upsert of the whole state keeps the lock and leaves the password alone.
    await dir.upsertAccount({ ...account('zhaoliu', false), displayName: '赵六' });
    expect(await canBind('zhaoliu', 'mailbox-secret')).toBe(false);

    await dir.upsertAccount({ ...account('zhaoliu', true), displayName: '赵六' });
    expect(await canBind('zhaoliu', 'mailbox-secret')).toBe(true);
    expect(await all(dir.listAccounts())).toEqual([{ ...account('zhaoliu'), displayName: '赵六' }]);
  });

  it('given entries that exist (replace goes first) and then a new one (add goes first), then both land exactly', async () => {
    await dir.upsertAccount(account('old'));
    await dir.upsertAccount({ ...account('old'), displayName: '老' });
    await dir.upsertAccount(account('new'));
    await dir.upsertAccount({ ...account('old'), displayName: '老员工' });
    expect((await all(dir.listAccounts())).sort((a, b) => a.employeeId.localeCompare(b.employeeId))).toEqual([
      account('new'),
      { ...account('old'), displayName: '老员工' },
    ]);
  });

  it('given a new account upserted as disabled, then it is created locked', async () => {
    await dir.upsertAccount(account('departed', false));
    expect(await all(dir.listAccounts())).toEqual([account('departed', false)]);
  });

  it('given a locked account, when the mail admin resets its password, then ppolicy unlocks it: the listing shows it (drift) and a re-lock holds', async () => {
    await dir.upsertAccount(account('reset', false));
    await setPassword('reset', 'new-pw');
    // slapo-ppolicy clears pwdAccountLockedTime on an administrative password change (D70).
    expect(await all(dir.listAccounts())).toEqual([account('reset', true)]);
    expect(await canBind('reset', 'new-pw')).toBe(true);
    await dir.upsertAccount(account('reset', false));
    expect(await canBind('reset', 'new-pw')).toBe(false);
  });

  it('given an empty group, then groupOfNames holds the placeholder member, never an account, and it lists as empty', async () => {
    await dir.upsertGroup({
      groupId: 'g-empty',
      displayName: '空组',
      email: 'empty@example.test',
      memberEmployeeIds: [],
    });
    const admin = new Client({ url: ldap.url });
    await admin.bind(ldap.adminDn, ldap.adminPassword);
    try {
      const { searchEntries } = await admin.search(dir.groupDn('g-empty'), {
        scope: 'base',
        attributes: ['member', 'objectClass'],
      });
      expect(searchEntries[0]!['member']).toBe(dir.emptyGroupMember);
      expect(searchEntries[0]!['objectClass']).toEqual(expect.arrayContaining(['groupOfNames']));
    } finally {
      await admin.unbind();
    }
    expect(await all(dir.listGroups())).toEqual([
      { groupId: 'g-empty', displayName: '空组', email: 'empty@example.test', memberEmployeeIds: [] },
    ]);
  });

  it('given employee ids with DN specials and CJK, then accounts and group members round-trip', async () => {
    const ids = ['a,b+c', '张三', 'x"y=z\\w'];
    for (const [i, id] of ids.entries())
      await dir.upsertAccount({ ...account(id), email: `e${i}@example.test` });
    await dir.upsertGroup({
      groupId: 'odd',
      displayName: 'odd',
      email: 'odd@example.test',
      memberEmployeeIds: [...ids].sort(),
    });
    expect((await all(dir.listAccounts())).map((a) => a.employeeId).sort()).toEqual([...ids].sort());
    expect((await all(dir.listGroups()))[0]!.memberEmployeeIds).toEqual([...ids].sort());
  });

  it('given two tenants, then each connector sees only its own OU', async () => {
    const other = connector();
    try {
      await dir.upsertAccount(account('mine'));
      await other.upsertAccount(account('theirs'));
      expect((await all(dir.listAccounts())).map((a) => a.employeeId)).toEqual(['mine']);
      expect((await all(other.listAccounts())).map((a) => a.employeeId)).toEqual(['theirs']);
      await expect(other.setAccountActive('mine', false)).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      await other.close();
      await removeTenant(other);
    }
  });

  it('given a wrong bind password, then every call is rejected as unauthorized', async () => {
    const wrong = new LdapDirectory({ ...optionsOf(dir), bindPassword: 'not-the-password' });
    try {
      await expect(wrong.upsertAccount(account('x'))).rejects.toMatchObject({
        constructor: DownstreamRejectedError,
        code: 'unauthorized',
      });
    } finally {
      await wrong.close();
    }
  });

  it('given no server on the port, then calls fail as unavailable (to be queued), and listing too', async () => {
    const nowhere = new LdapDirectory({
      ...optionsOf(dir),
      url: `ldap://127.0.0.1:${await freePort()}`,
      timeoutMs: 2_000,
    });
    try {
      await expect(nowhere.upsertAccount(account('x'))).rejects.toBeInstanceOf(DownstreamUnavailableError);
      await expect(nowhere.setAccountActive('x', false)).rejects.toBeInstanceOf(DownstreamUnavailableError);
      await expect(all(nowhere.listAccounts())).rejects.toBeInstanceOf(DownstreamUnavailableError);
    } finally {
      await nowhere.close();
    }
  });
});

function optionsOf(dir: LdapDirectory) {
  return {
    url: ldap.url,
    bindDn: ldap.adminDn,
    bindPassword: ldap.adminPassword,
    baseDn: ldap.baseDn,
    tenantId: dir.tenantDn.replace(/^ou=([^,]+),.*$/, '$1'),
  };
}
