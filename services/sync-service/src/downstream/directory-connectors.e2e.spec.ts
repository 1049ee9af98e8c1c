import { startWeComSandbox, type WeComSandbox } from '@tagguard/wecom-sandbox';
import type { TagIntegrationEventV1 } from '@tagguard/contracts';
import { eventually } from '@tagguard/testing';
import { startScimServer, type ScimTestServer } from '../testing/scim-server';
import { DownstreamHarness } from './testing/downstream-harness';

// The production wiring of the "exmail" and "scim" connectors: sync-service's own main.ts as an OS process
// (EXMAIL_* / SCIM_* → the connectors), real PostgreSQL and Kafka, the downstream in this process over HTTP
// (the WeCom sandbox's /exmail endpoints; a scimmy server), read back through its own state.

/** Two employees in d1, a channel of each kind on `connector`, and the member tag 市场二组 = d1. */
async function channelsOn(h: DownstreamHarness, connector: string): Promise<void> {
  await h.directory('UpsertDepartment', { departmentId: 'd1', name: '销售部' });
  await h.directory('UpsertEmployee', { employeeId: 'zhangsan', name: '张三', departmentIds: ['d1'] });
  await h.directory('UpsertEmployee', { employeeId: 'lisi', name: '李四', departmentIds: ['d1'] });
  for (const [channelId, kind] of [
    ['mail', 'CHANNEL_KIND_EMPLOYEE_ACCOUNTS'],
    ['groups', 'CHANNEL_KIND_TAG_GROUPS'],
  ] as const) {
    await h.downstreamCall('ConfigureChannel', {
      channelId,
      kind,
      connector,
      settings: { mailDomain: 'corp.example' },
    });
    await h.downstreamCall('EnableChannel', { channelId });
  }
  const data = { tenantId: h.tenant.tenantId, tagId: 'market-2' };
  await h.publishTagEvents([
    {
      type: 'tag.created.v1',
      data: { ...data, revision: '0', name: '市场二组', kind: 'member', nodeType: 'tag', parentId: null },
    },
    {
      type: 'tag.members_added.v1',
      data: { ...data, revision: '1', source: 'admin', members: [{ kind: 'department', id: 'd1' }] },
    },
  ] as TagIntegrationEventV1[]);
}

async function driftFree(h: DownstreamHarness): Promise<void> {
  for (const channelId of ['mail', 'groups'])
    await eventually(async () => {
      const { state } = await h.downstreamCall('GetChannelState', { channelId });
      expect(state).toMatchObject({ status: 'ok', queueDepth: '0' });
      expect((await h.downstreamCall('DetectDrift', { channelId })).itemCount).toBe('0');
    }, 20_000);
}

describe('employees → Exmail mailboxes and tags → mail groups, through the WeCom sandbox /exmail', () => {
  const CORP = 'wwexmailchan00001';
  let sandbox: WeComSandbox;
  let h: DownstreamHarness;
  const exmail = () => sandbox.admin(CORP).exmail;
  beforeAll(async () => {
    sandbox = await startWeComSandbox({ corps: [{ corpId: CORP, secret: 'sec', exmailSecret: 'mail-sec' }] });
    const holding = sandbox.admin(CORP).exmail.addDepartment('TagGuard 空群组');
    h = await DownstreamHarness.start(
      (harness) => ({
        EXMAIL_BASE_URL: `${sandbox.url}/exmail`,
        EXMAIL_CORP_ID: CORP,
        EXMAIL_SECRET: 'mail-sec',
        EXMAIL_TENANT_ID: harness.tenant.tenantId,
        EXMAIL_EMPTY_GROUP_DEPARTMENT_ID: String(holding.id),
      }),
      { production: true },
    );
  }, 90_000);
  afterAll(async () => {
    await h?.stop();
    await sandbox?.close();
  });

  it('is offered to EXMAIL_TENANT_ID only; DisableEmployee → enable 0; the tag is a mail group of the addresses, following an address change', async () => {
    expect((await h.downstreamCall('ListChannels', {})).connectors).toEqual(['exmail']);
    const other = { ...h.tenant, tenantId: 't-other' };
    expect((await h.downstreamCall('ListChannels', {}, other)).connectors).toEqual([]);

    await channelsOn(h, 'exmail');
    await eventually(() => {
      expect(exmail().users.get('lisi@corp.example')).toMatchObject({ extid: 'lisi', enable: 1 });
      expect([...(exmail().groups.get('market-2@corp.example')?.userlist ?? [])].sort()).toEqual([
        'lisi@corp.example',
        'zhangsan@corp.example',
      ]);
    }, 20_000);

    await h.directory('DisableEmployee', { employeeId: 'lisi' });
    await eventually(() => {
      expect(exmail().users.get('lisi@corp.example')).toMatchObject({ enable: 0 });
      // A disabled employee leaves the mail group (D73).
      expect(exmail().groups.get('market-2@corp.example')?.userlist).toEqual(['zhangsan@corp.example']);
    }, 20_000);
    expect(exmail().users.get('zhangsan@corp.example')).toMatchObject({ enable: 1 });
    await driftFree(h);

    // The accounts channel's mail domain changes: new mailboxes, the old ones disabled, and the mail group
    // (whose planned members, employee ids, did not change) follows the new address (D106).
    await h.downstreamCall('ConfigureChannel', {
      channelId: 'mail',
      kind: 'CHANNEL_KIND_EMPLOYEE_ACCOUNTS',
      connector: 'exmail',
      settings: { mailDomain: 'mail.corp.example' },
    });
    await eventually(() => {
      expect(exmail().users.get('zhangsan@mail.corp.example')).toMatchObject({
        extid: 'zhangsan',
        enable: 1,
      });
      expect(exmail().users.get('zhangsan@corp.example')).toMatchObject({ extid: '', enable: 0 });
      expect(exmail().groups.get('market-2@corp.example')?.userlist).toEqual(['zhangsan@mail.corp.example']);
    }, 20_000);
    await driftFree(h);
  }, 90_000);
});

describe('employees → SCIM Users and tags → SCIM Groups, against the scimmy test server', () => {
  const TOKEN = 'scim-e2e-token';
  let server: ScimTestServer;
  let h: DownstreamHarness;
  const user = (employeeId: string) => [...server.users.values()].find((u) => u['externalId'] === employeeId);
  beforeAll(async () => {
    server = await startScimServer({ token: TOKEN });
    h = await DownstreamHarness.start({ SCIM_URL: server.url, SCIM_TOKEN: TOKEN }, { production: true });
  }, 90_000);
  afterAll(async () => {
    await h?.stop();
    await server?.close();
  });

  it('DisableEmployee → the User is active=false; the tag is a Group of the Users', async () => {
    expect((await h.downstreamCall('ListChannels', {})).connectors).toEqual(['scim']);
    await channelsOn(h, 'scim');
    await eventually(() => {
      expect(user('lisi')).toMatchObject({ userName: 'lisi@corp.example', active: true });
      const group = [...server.groups.values()].find((g) => g['externalId'] === 'market-2');
      const members = (group?.['members'] as { value: string }[] | undefined)?.map((m) => m.value).sort();
      expect(members).toEqual([user('lisi')!.id, user('zhangsan')!.id].sort());
    }, 20_000);

    await h.directory('DisableEmployee', { employeeId: 'lisi' });
    await eventually(() => expect(user('lisi')).toMatchObject({ active: false }), 20_000);
    expect(user('zhangsan')).toMatchObject({ active: true });
    await driftFree(h);
  }, 90_000);
});
