import { randomUUID } from 'node:crypto';
import { Attribute, Change, Client } from 'ldapts';
import { imapLogin, startDovecot, testLdap, type DovecotServer } from '@tagguard/testing';
import { LdapDirectory } from './ldap-directory';

// The leak the issue opens with, at the connector's level: a real Dovecot authenticates IMAP logins
// against the real slapd; disabling the account through the connector must close the mailbox.
describe('IMAP login through Dovecot with an LDAP passdb', () => {
  const ldap = testLdap();
  const tenantId = `imap-${randomUUID().slice(0, 8)}`;
  const dir = new LdapDirectory({
    url: ldap.url,
    bindDn: ldap.adminDn,
    bindPassword: ldap.adminPassword,
    baseDn: ldap.baseDn,
    tenantId,
  });
  let dovecot: DovecotServer;

  beforeAll(async () => {
    dovecot = await startDovecot({ ldapUrl: ldap.url, userDnTemplate: `uid=%u,${dir.peopleDn}` });
  });
  afterAll(async () => {
    await dir.close();
    await dovecot?.stop();
  });

  async function giveMailboxPassword(employeeId: string, password: string): Promise<void> {
    const admin = new Client({ url: ldap.url });
    await admin.bind(ldap.adminDn, ldap.adminPassword);
    try {
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

  it('given an account with a password, when the connector disables it, then the IMAP login is refused; re-enabled, it works again', async () => {
    await dir.upsertAccount({
      employeeId: 'sunqi',
      email: 'sunqi@example.test',
      displayName: '孙七',
      active: true,
    });
    await giveMailboxPassword('sunqi', 'imap-secret');
    expect(await imapLogin(dovecot, 'sunqi', 'imap-secret')).toBe('ok');
    expect(await imapLogin(dovecot, 'sunqi', 'wrong')).toBe('refused');

    await dir.setAccountActive('sunqi', false);
    expect(await imapLogin(dovecot, 'sunqi', 'imap-secret')).toBe('refused');

    await dir.setAccountActive('sunqi', true);
    expect(await imapLogin(dovecot, 'sunqi', 'imap-secret')).toBe('ok');
  });
});
