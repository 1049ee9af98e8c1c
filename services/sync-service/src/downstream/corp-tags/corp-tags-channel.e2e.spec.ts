import { status } from '@grpc/grpc-js';
import { demoDirectory, startWeComSandbox, type WeComSandbox } from '@tagguard/wecom-sandbox';
import type { TagIntegrationEventV1 } from '@tagguard/contracts';
import { eventually } from '@tagguard/testing';
import { WeComCorpTagsClient } from '../../wecom/corp-tags.client';
import { WeComClient } from '../../wecom/wecom.client';
import { DownstreamHarness } from '../testing/downstream-harness';

// sync-service as its own OS process on real PostgreSQL and Kafka, its WeCom connector and its
// "wecom-corp-tags" downstream connector both pointed at the WeCom sandbox (HTTP, in this process): the
// sandbox's demo directory is pulled on start (customer wmDemoCustomer0001, followed by lisi), customer
// tags come on tag-service's topic, and the marks are read back through the sandbox's admin handle.
const CORP = 'wwcorptagschan001';
const CUSTOMER = 'wmDemoCustomer0001';

describe('customer tags → WeCom corp tags channel, through the sandbox', () => {
  let sandbox: WeComSandbox;
  let h: DownstreamHarness;
  beforeAll(async () => {
    sandbox = await startWeComSandbox({ corps: [{ corpId: CORP, secret: 'sec' }] });
    sandbox.admin(CORP).seed(demoDirectory());
    h = await DownstreamHarness.start((harness) => ({
      WECOM_TENANT_ID: harness.tenant.tenantId,
      WECOM_CORP_ID: CORP,
      WECOM_SECRET: 'sec',
      WECOM_BASE_URL: sandbox.url,
      WECOM_FULL_SYNC_INTERVAL_SECONDS: '0',
    }));
  }, 90_000);
  afterAll(async () => {
    await h?.stop();
    await sandbox?.close();
  });

  const tenantId = () => h.tenant.tenantId;
  /** The corp tags on the customer as lisi (its follower) sees them, in the sandbox. */
  const marks = () =>
    sandbox
      .admin(CORP)
      .snapshot()
      .externalContacts.find((c) => c.external_userid === CUSTOMER)!
      .follow_user.find((f) => f.userid === 'lisi')!
      .tags.map((t) => `${t.group_name}/${t.tag_name}`);
  const library = () =>
    sandbox.admin(CORP).corpTags.groups.flatMap((g) => g.tag.map((t) => `${g.group_name}/${t.name}`));
  let revision = 0;
  /** tag-service's public events, each with the next revision of its tag. */
  const publish = (events: { type: string; data: object }[]) =>
    h.publishTagEvents(
      events.map((e) => ({
        type: e.type,
        data: { tenantId: tenantId(), revision: String(revision++), ...e.data },
      })) as TagIntegrationEventV1[],
    );
  const member = { kind: 'customer', id: CUSTOMER };

  it('given a customer tag, when a customer is added, its follower marks it in WeCom; removed, unmarked; deleted, the corp tag goes', async () => {
    const configured = await h.downstreamCall('ConfigureChannel', {
      channelId: 'corp-tags',
      kind: 'CHANNEL_KIND_CUSTOMER_CORP_TAGS',
      connector: 'wecom-corp-tags',
      settings: {},
    });
    expect(configured.result).toMatchObject({ changed: true });
    await h.downstreamCall('EnableChannel', { channelId: 'corp-tags' });
    await publish([
      {
        type: 'tag.created.v1',
        data: { tagId: 'vip', name: '重点客户', kind: 'customer', nodeType: 'tag', parentId: null },
      },
      {
        type: 'tag.members_added.v1',
        data: { tagId: 'vip', source: 'admin', members: [member] },
      },
    ]);
    await eventually(() => expect(marks()).toEqual(['TagGuard/重点客户']), 30_000);

    await publish([
      {
        type: 'tag.members_removed.v1',
        data: { tagId: 'vip', source: 'admin', members: [member] },
      },
    ]);
    await eventually(() => expect(marks()).toEqual([]), 20_000);
    expect(library()).toEqual(['TagGuard/重点客户']);

    await publish([
      {
        type: 'tag.members_added.v1',
        data: { tagId: 'vip', source: 'admin', members: [member] },
      },
    ]);
    await eventually(() => expect(marks()).toEqual(['TagGuard/重点客户']), 20_000);

    // WeCom unreachable (every mark_tag answers -1, far more often than the client and the applier's
    // MAX_ATTEMPTS for a refusal would retry): the change waits, the channel says retrying, then it applies.
    sandbox.admin(CORP).plantFault({ path: '/cgi-bin/externalcontact/mark_tag', errcode: -1, times: 1_000 });
    await publish([
      { type: 'tag.members_removed.v1', data: { tagId: 'vip', source: 'admin', members: [member] } },
    ]);
    await eventually(async () => {
      const { state } = await h.downstreamCall('GetChannelState', { channelId: 'corp-tags' });
      expect(state).toMatchObject({ status: 'retrying', queueDepth: '1' });
      expect(sandbox.admin(CORP).callCount('/cgi-bin/externalcontact/mark_tag')).toBeGreaterThan(30);
    }, 60_000);
    expect(marks()).toEqual(['TagGuard/重点客户']);
    sandbox.admin(CORP).faults.length = 0;
    await eventually(() => expect(marks()).toEqual([]), 30_000);
    expect((await h.downstreamCall('GetChannelState', { channelId: 'corp-tags' })).state).toMatchObject({
      failedTotal: '0',
    });
    await publish([
      { type: 'tag.members_added.v1', data: { tagId: 'vip', source: 'admin', members: [member] } },
    ]);
    await eventually(() => expect(marks()).toEqual(['TagGuard/重点客户']), 20_000);

    const appliedBefore = Number(
      (await h.downstreamCall('GetChannelState', { channelId: 'corp-tags' })).state.appliedTotal,
    );
    await publish([
      {
        type: 'tag.deleted.v1',
        data: { tagId: 'vip', tagIds: ['vip'], deletedBy: 'admin-1', purgeDueAt: new Date().toISOString() },
      },
    ]);
    await eventually(() => expect(library()).toEqual([]), 20_000);
    expect(marks()).toEqual([]);

    // The removal is recorded as applied after WeCom answered: the state follows a moment later.
    await eventually(async () => {
      const { state } = await h.downstreamCall('GetChannelState', { channelId: 'corp-tags' });
      expect(state).toMatchObject({ status: 'ok', queueDepth: '0' });
      expect(state.lastAppliedKey).toBe('group/vip');
      // group/vip was the last key before the deletion too: the count says the deletion was recorded.
      expect(Number(state.appliedTotal)).toBeGreaterThan(appliedBefore);
    }, 10_000);
    // Converged: drift (read from WeCom itself, D77) finds nothing.
    expect(await h.downstreamCall('DetectDrift', { channelId: 'corp-tags' })).toMatchObject({
      itemCount: '0',
    });
  }, 120_000);

  it('given another tenant, then wecom-corp-tags is not listed for it and its channel is refused when configured', async () => {
    const other = { ...h.tenant, tenantId: `${tenantId()}-other` };
    expect((await h.downstreamCall('ListChannels', {}, other)).connectors ?? []).not.toContain(
      'wecom-corp-tags',
    );
    expect((await h.downstreamCall('ListChannels', {})).connectors).toContain('wecom-corp-tags');
    expect(
      await h.failure(
        'DownstreamService',
        'ConfigureChannel',
        {
          channelId: 'corp-tags',
          kind: 'CHANNEL_KIND_CUSTOMER_CORP_TAGS',
          connector: 'wecom-corp-tags',
          settings: {},
        },
        other,
      ),
    ).toMatchObject({ code: status.FAILED_PRECONDITION, field: 'connector' });
    expect(
      await h.failure('DownstreamService', 'GetChannelState', { channelId: 'corp-tags' }, other),
    ).toMatchObject({
      code: status.NOT_FOUND,
    });
  }, 30_000);

  it('given a tagged customer the directory does not know yet, when it arrives with its follower, then that follower marks it', async () => {
    const contact = sandbox.admin(CORP).snapshot().externalContacts[0]!;
    await sandbox.admin(CORP).upsertExternalContact({
      ...contact,
      external_userid: 'wmLateCustomer001',
      follow_user: contact.follow_user.map((f) => ({ ...f, tags: [] })),
    });
    const lateTags = () =>
      sandbox
        .admin(CORP)
        .snapshot()
        .externalContacts.find((c) => c.external_userid === 'wmLateCustomer001')!
        .follow_user[0]!.tags.map((t) => t.tag_name);
    await publish([
      {
        type: 'tag.created.v1',
        data: { tagId: 'late', name: '后到客户', kind: 'customer', nodeType: 'tag', parentId: null },
      },
      {
        type: 'tag.members_added.v1',
        data: { tagId: 'late', source: 'admin', members: [{ kind: 'customer', id: 'wmLateCustomer001' }] },
      },
    ]);
    // The corp tag is made (the tag is wanted), but nobody can mark a customer without a known follower.
    await eventually(() => expect(library()).toContain('TagGuard/后到客户'), 20_000);
    expect(lateTags()).toEqual([]);
    await h.directory('UpsertCustomer', {
      externalUserId: 'wmLateCustomer001',
      name: '晚到',
      followers: [{ employeeId: contact.follow_user[0]!.userid }],
    });
    await eventually(() => expect(lateTags()).toEqual(['后到客户']), 20_000);
  }, 60_000);

  it('given corp tags changed in WeCom behind TagGuard, then drift names each item, RepairDrift sets them right, and ForceResync converges', async () => {
    // Someone else's application, through the real API: unmarks, marks, deletes and adds corp tags.
    const wecom = new WeComCorpTagsClient(
      new WeComClient({ baseUrl: sandbox.url, corpId: CORP, secret: 'sec' }),
    );
    const contact = sandbox
      .admin(CORP)
      .snapshot()
      .externalContacts.find((c) => c.external_userid === CUSTOMER)!;
    const lisi = contact.follow_user.find((f) => f.userid === 'lisi')!;
    // wangwu follows the customer too (the directory does not know: lisi stays its marker).
    await sandbox.admin(CORP).upsertExternalContact({
      ...contact,
      follow_user: [...contact.follow_user, { ...lisi, userid: 'wangwu', oper_userid: 'wangwu', tags: [] }],
    });
    const marksOf = (userid: string) =>
      sandbox
        .admin(CORP)
        .snapshot()
        .externalContacts.find((c) => c.external_userid === CUSTOMER)!
        .follow_user.find((f) => f.userid === userid)!
        .tags.map((t) => t.tag_name)
        .sort();
    const corpTagId = async (name: string) =>
      (await wecom.list()).find((g) => g.groupName === 'TagGuard')?.tags.find((t) => t.name === name)?.id;
    await publish(
      ['da', 'db'].flatMap((tagId) => [
        {
          type: 'tag.created.v1',
          data: { tagId, name: `漂移${tagId}`, kind: 'customer', nodeType: 'tag', parentId: null },
        },
        { type: 'tag.members_added.v1', data: { tagId, source: 'admin', members: [member] } },
      ]),
    );
    await eventually(() => expect(marksOf('lisi')).toEqual(['漂移da', '漂移db']), 30_000);
    await eventually(async () => {
      const { state } = await h.downstreamCall('GetChannelState', { channelId: 'corp-tags' });
      expect(state.queueDepth).toBe('0');
    }, 20_000);

    const da = (await corpTagId('漂移da'))!;
    await wecom.mark('lisi', CUSTOMER, { remove: [da] });
    await wecom.mark('wangwu', CUSTOMER, { add: [da] });
    await wecom.remove({ tagIds: [(await corpTagId('漂移db'))!] });
    const stranger = (await wecom.addTags({ groupName: 'TagGuard' }, [{ name: '陌生标签' }])).tags[0]!.id;

    const detected = await h.downstreamCall('DetectDrift', { channelId: 'corp-tags' });
    const items = (detected.items as Record<string, string>[])
      .map((i) => `${i.kind} ${i.subject} ${i.memberId ?? ''}`.trim())
      .sort();
    expect(items).toEqual(
      [
        `DRIFT_KIND_GROUP_MEMBER_MISSING da lisi/${CUSTOMER}`,
        `DRIFT_KIND_GROUP_MEMBER_EXTRA da wangwu/${CUSTOMER}`,
        'DRIFT_KIND_MISSING_GROUP db',
        `DRIFT_KIND_EXTRA_GROUP wecom:${stranger}`,
      ].sort(),
    );
    expect(
      await h.downstreamCall('RepairDrift', { channelId: 'corp-tags', idempotencyKey: 'corp-repair-1' }),
    ).toMatchObject({ repairsQueued: '3' });
    await eventually(async () => {
      expect(marksOf('lisi')).toEqual(['漂移da', '漂移db']);
      expect(marksOf('wangwu')).toEqual([]);
      expect(library()).not.toContain('TagGuard/陌生标签');
      expect(library()).toContain('TagGuard/漂移db');
    }, 30_000);
    await eventually(
      async () =>
        expect(await h.downstreamCall('DetectDrift', { channelId: 'corp-tags' })).toMatchObject({
          itemCount: '0',
        }),
      20_000,
    );

    // Unmarked again behind its back: one ForceResync converges and reports the group it set right.
    await wecom.mark('lisi', CUSTOMER, { remove: [(await corpTagId('漂移da'))!] });
    const messages = await h.stream('ForceResync', {
      channelId: 'corp-tags',
      idempotencyKey: 'corp-resync-1',
    });
    const progress = messages.filter((m) => m.progress).map((m) => m.progress);
    expect(progress[0]).toMatchObject({ phase: 'planning' });
    expect(progress[progress.length - 1]).toMatchObject({ phase: 'done' });
    expect(messages[messages.length - 1]!.report).toMatchObject({ groupsUpdated: '1', failed: '0' });
    expect(marksOf('lisi')).toEqual(['漂移da', '漂移db']);
    expect(await h.downstreamCall('DetectDrift', { channelId: 'corp-tags' })).toMatchObject({
      itemCount: '0',
    });
  }, 120_000);

  it('given two customer tags of one name under different parents, then each is its own corp tag: one loses the customer, the other keeps it, and drift finds nothing', async () => {
    // TagGuard names are unique within a parent; WeCom's within a group (TagGuard's one). Sharing one
    // corp tag merged their marks, so DetectDrift named one MISSING_GROUP forever (D121).
    const names = () => library().filter((n) => n.startsWith('TagGuard/同名客户'));
    await publish(
      ['same-a', 'same-b'].flatMap((tagId) => [
        {
          type: 'tag.created.v1',
          data: { tagId, name: '同名客户', kind: 'customer', nodeType: 'tag', parentId: `parent-${tagId}` },
        },
        { type: 'tag.members_added.v1', data: { tagId, source: 'admin', members: [member] } },
      ]),
    );
    // Whichever of the two is applied second gets the suffix (the channel does not order separate tags).
    await eventually(() => {
      const listed = names().sort();
      expect(listed).toHaveLength(2);
      expect([
        ['TagGuard/同名客户', 'TagGuard/同名客户 ·same-a'],
        ['TagGuard/同名客户', 'TagGuard/同名客户 ·same-b'],
      ]).toContainEqual(listed);
    }, 30_000);
    const corpTagOfB = names().includes('TagGuard/同名客户 ·same-b')
      ? 'TagGuard/同名客户 ·same-b'
      : 'TagGuard/同名客户';
    await eventually(() => expect(marks().filter((m) => m.includes('同名客户')).length).toBe(2), 20_000);
    await publish([
      { type: 'tag.members_removed.v1', data: { tagId: 'same-a', source: 'admin', members: [member] } },
    ]);
    await eventually(
      () => expect(marks().filter((m) => m.includes('同名客户'))).toEqual([corpTagOfB]),
      20_000,
    );
    await eventually(async () => {
      const { state } = await h.downstreamCall('GetChannelState', { channelId: 'corp-tags' });
      expect(state.queueDepth).toBe('0');
    }, 20_000);
    expect(await h.downstreamCall('DetectDrift', { channelId: 'corp-tags' })).toMatchObject({
      itemCount: '0',
    });
  }, 120_000);
});
