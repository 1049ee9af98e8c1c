import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import { Attribute, Change, Client } from 'ldapts';
import { restartSlapd, startSlapd, stopSlapd, type SlapdEndpoint } from '@tagguard/local-infra';
import {
  eventually,
  freePort,
  imapLogin,
  startDovecot,
  startServiceProcess,
  testInfra,
  type DovecotServer,
  type ServiceProcess,
} from '@tagguard/testing';
import { serviceClient, signedMetadata, unary } from './support/callers';

// The leak the issue opens with, closed end to end, each part real and its own process: an employee
// disabled in sync-service's directory (gRPC) → the employees → mail accounts channel → the LDAP
// connector locks the account in slapd → Dovecot, authenticating IMAP logins against that slapd, refuses
// the login. Then an outage: slapd stopped, the change waits in the channel's queue, slapd back, applied.
describe('an employee disabled in the directory can no longer log in to IMAP (slapd + Dovecot)', () => {
  const run = randomUUID().slice(0, 8);
  const tenantId = `tenant-${run}`;
  const caller = signedMetadata(tenantId);
  const slapdName = `slapd-imap-${run}`;
  let slapd: SlapdEndpoint;
  let dovecot: DovecotServer;
  let sync: ServiceProcess;
  let directory: grpc.Client;
  let downstream: grpc.Client;

  beforeAll(async () => {
    // Its own slapd, so stopping it cannot disturb the other tests of the run.
    slapd = await startSlapd(undefined, slapdName);
    dovecot = await startDovecot({ ldapUrl: slapd.url, userDnTemplate: `uid=%u,${peopleDn()}` });
    const port = await freePort();
    const { postgresUrl, kafkaBrokers } = testInfra();
    sync = await startServiceProcess(
      'sync-service',
      {
        DATABASE_URL: postgresUrl,
        DATABASE_SCHEMA: `sync_ldap_${run}`,
        EVENTSTORE_SCHEMA: `sync_ldap_es_${run}`,
        KAFKA_BROKERS: kafkaBrokers.join(','),
        GRPC_PORT: String(port),
        LDAP_URL: slapd.url,
        LDAP_BASE_DN: slapd.baseDn,
        LDAP_BIND_DN: slapd.adminDn,
        LDAP_BIND_PASSWORD_FILE: slapd.passwordFile,
        LDAP_TIMEOUT_MS: '2000',
      },
      60_000,
    );
    directory = serviceClient(`127.0.0.1:${port}`, 'directory');
    downstream = serviceClient(`127.0.0.1:${port}`, 'downstream');
  }, 120_000);

  afterAll(async () => {
    directory?.close();
    downstream?.close();
    await sync?.stop('SIGTERM');
    await dovecot?.stop();
    if (slapd) await stopSlapd(slapd);
  });

  const call = <T = Record<string, unknown>>(client: grpc.Client, method: string, request: object) =>
    unary<T>(client, method, request, caller);
  // Where the LDAP connector keeps this tenant's accounts (D71), read here as the mail server sees them.
  const peopleDn = () => `ou=people,ou=${tenantId},${slapd.baseDn}`;
  const asAdmin = async <T>(work: (admin: Client) => Promise<T>): Promise<T> => {
    const admin = new Client({ url: slapd.url });
    await admin.bind(slapd.adminDn, readFileSync(slapd.passwordFile, 'utf8'));
    try {
      return await work(admin);
    } finally {
      await admin.unbind();
    }
  };
  const accounts = () =>
    asAdmin(async (admin) => {
      const { searchEntries } = await admin
        .search(peopleDn(), { scope: 'one', attributes: ['uid', 'mail', 'pwdAccountLockedTime'] })
        .catch(() => ({ searchEntries: [] }));
      return new Map(
        searchEntries.map((e) => [
          String(e['uid']),
          { email: String(e['mail']), active: [e['pwdAccountLockedTime'] ?? []].flat().length === 0 },
        ]),
      );
    });
  /** What the mail administrator does outside TagGuard: give the mailbox a password. */
  const giveMailboxPassword = (employeeId: string) =>
    asAdmin(async (admin) => {
      await admin.modify(
        `uid=${employeeId},${peopleDn()}`,
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'userPassword', values: [`pw-${employeeId}`] }),
        }),
      );
    });
  const login = (employeeId: string) => imapLogin(dovecot, employeeId, `pw-${employeeId}`);
  const state = async () =>
    (await call<{ state: Record<string, unknown> }>(downstream, 'GetChannelState', { channelId: 'mail' }))
      .state;

  it('given employees with mailboxes, when one is disabled over gRPC, then her IMAP login is refused; enabled, accepted; departed, refused and her account kept', async () => {
    await call(directory, 'UpsertDepartment', { departmentId: 'd1', name: '销售部' });
    for (const id of ['zhouba', 'wujiu'])
      await call(directory, 'UpsertEmployee', { employeeId: id, name: `员工 ${id}`, departmentIds: ['d1'] });
    const { connectors } = await call<{ connectors: string[] }>(downstream, 'ListChannels', {});
    expect(connectors).toContain('ldap');
    await call(downstream, 'ConfigureChannel', {
      channelId: 'mail',
      kind: 'CHANNEL_KIND_EMPLOYEE_ACCOUNTS',
      connector: 'ldap',
      settings: { mailDomain: 'corp.example' },
    });
    await call(downstream, 'EnableChannel', { channelId: 'mail' });
    await eventually(async () => {
      const a = await accounts();
      expect(a.get('zhouba')).toMatchObject({ email: 'zhouba@corp.example', active: true });
      expect(a.get('wujiu')).toMatchObject({ email: 'wujiu@corp.example', active: true });
    }, 20_000);
    for (const id of ['zhouba', 'wujiu']) await giveMailboxPassword(id);
    expect(await login('zhouba')).toBe('ok');

    await call(directory, 'DisableEmployee', { employeeId: 'zhouba' });
    await eventually(async () => expect(await login('zhouba')).toBe('refused'), 15_000);
    expect(await login('wujiu')).toBe('ok');

    await call(directory, 'EnableEmployee', { employeeId: 'zhouba' });
    await eventually(async () => expect(await login('zhouba')).toBe('ok'), 15_000);

    await call(directory, 'MarkEmployeeLeft', { employeeId: 'zhouba' });
    await eventually(async () => expect(await login('zhouba')).toBe('refused'), 15_000);
    expect((await accounts()).get('zhouba')).toMatchObject({ active: false });
  }, 90_000);

  it('given slapd stopped, when an employee is disabled, then the change waits in the queue and locks her mailbox once slapd is back', async () => {
    await stopSlapd(slapd);
    await call(directory, 'DisableEmployee', { employeeId: 'wujiu' });
    await eventually(async () => {
      const s = await state();
      expect(s).toMatchObject({ status: 'retrying' });
      expect(Number(s['queueDepth'])).toBeGreaterThanOrEqual(1);
      expect(s['lastError']).toMatch(/unavailable/);
    }, 20_000);

    slapd = await restartSlapd(slapdName, slapd);
    await eventually(
      async () => expect(await state()).toMatchObject({ status: 'ok', queueDepth: '0' }),
      30_000,
    );
    expect(await login('wujiu')).toBe('refused');
    expect((await accounts()).get('wujiu')).toMatchObject({ active: false });
  }, 90_000);
});
