import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'ldapts';
// A slapd of this spec's own, stopped and restarted (the run's shared one must stay up): only the local
// infrastructure's tooling starts one; a spec may use it, sync-service's code never does.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { restartSlapd, startSlapd, stopSlapd, type SlapdEndpoint } from '@tagguard/local-infra';
import { eventually } from '@tagguard/testing';
import { LOCKED_BY_ADMINISTRATOR } from './ldap';
import { DownstreamHarness } from './testing/downstream-harness';

// The production wiring end to end: sync-service's own main.ts (LDAP_* → the "ldap" connector) as an OS
// process, a real slapd of this spec's own (so stopping it disturbs no other test), real PostgreSQL and Kafka.
describe('employees → LDAP accounts over the real slapd: disable locks, an outage queues, the restart applies', () => {
  const name = `slapd-channels-${randomUUID().slice(0, 6)}`;
  let slapd: SlapdEndpoint;
  let h: DownstreamHarness;

  beforeAll(async () => {
    slapd = await startSlapd(undefined, name);
    h = await DownstreamHarness.start(
      {
        LDAP_URL: slapd.url,
        LDAP_BASE_DN: slapd.baseDn,
        LDAP_BIND_DN: slapd.adminDn,
        LDAP_BIND_PASSWORD_FILE: slapd.passwordFile,
        LDAP_TIMEOUT_MS: '2000',
      },
      { production: true },
    );
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    if (slapd) await stopSlapd(slapd);
  });

  /** What slapd holds for the employee: present, and locked (ppolicy's lock attribute) or not. */
  async function ldapAccount(employeeId: string): Promise<{ locked: boolean } | undefined> {
    const client = new Client({ url: slapd.url });
    try {
      await client.bind(slapd.adminDn, readFileSync(slapd.passwordFile, 'utf8').trim());
      const { searchEntries } = await client.search(slapd.baseDn, {
        filter: `(uid=${employeeId})`,
        attributes: ['uid', 'pwdAccountLockedTime'],
      });
      if (searchEntries.length === 0) return undefined;
      return { locked: searchEntries[0]!['pwdAccountLockedTime'] === LOCKED_BY_ADMINISTRATOR };
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
  const state = async () =>
    (await h.downstreamCall('GetChannelState', { channelId: 'mail' })).state as Record<string, string>;

  it('disable via the directory gRPC → the account is locked in LDAP; slapd stopped → changes queue → started → applied', async () => {
    await h.directory('UpsertDepartment', { departmentId: 'd1', name: '销售部' });
    await h.directory('UpsertEmployee', { employeeId: 'zhangsan', name: '张三', departmentIds: ['d1'] });
    await h.directory('UpsertEmployee', { employeeId: 'lisi', name: '李四', departmentIds: ['d1'] });
    const { connectors } = await h.downstreamCall('ListChannels', {});
    expect(connectors).toEqual(['ldap']);
    await h.downstreamCall('ConfigureChannel', {
      channelId: 'mail',
      kind: 'CHANNEL_KIND_EMPLOYEE_ACCOUNTS',
      connector: 'ldap',
      settings: { mailDomain: 'corp.example' },
    });
    await h.downstreamCall('EnableChannel', { channelId: 'mail' });
    await eventually(async () => expect(await ldapAccount('lisi')).toEqual({ locked: false }), 20_000, 100);

    await h.directory('DisableEmployee', { employeeId: 'lisi' });
    await eventually(async () => expect(await ldapAccount('lisi')).toEqual({ locked: true }), 10_000, 100);

    await stopSlapd(slapd);
    await h.directory('EnableEmployee', { employeeId: 'lisi' });
    await h.directory('MarkEmployeeLeft', { employeeId: 'zhangsan' });
    await eventually(
      async () => expect(await state()).toMatchObject({ status: 'retrying', queueDepth: '2' }),
      30_000,
      200,
    );
    expect((await state()).lastError).toMatch(/unavailable/);

    slapd = await restartSlapd(name, slapd);
    await eventually(
      async () => {
        expect(await ldapAccount('lisi')).toEqual({ locked: false });
        expect(await ldapAccount('zhangsan')).toEqual({ locked: true });
      },
      30_000,
      200,
    );
    await eventually(
      async () => expect(await state()).toMatchObject({ status: 'ok', queueDepth: '0' }),
      10_000,
    );
    const drift = await h.downstreamCall('DetectDrift', { channelId: 'mail' });
    expect(drift.itemCount).toBe('0');
  }, 120_000);
});
