import { status } from '@grpc/grpc-js';
import { checkHealth, eventually } from '@tagguard/testing';
import { DownstreamHarness } from './testing/downstream-harness';

// sync-service as its own OS process (with the test-only "test-http" connector) on real PostgreSQL and
// Kafka; the downstream is the in-memory test directory in this process, served over HTTP.
describe('downstream channels over gRPC (employees → accounts, tags → groups, outages, drift, resync)', () => {
  let h: DownstreamHarness;
  beforeAll(async () => {
    h = await DownstreamHarness.start();
  }, 90_000);
  afterAll(() => h?.stop());

  const accounts = () => h.downstream.downstream.accounts;
  const groups = () => h.downstream.downstream.groups;
  const account = (id: string) => accounts().get(id);
  const employee = (employeeId: string, departmentIds: string[]) =>
    h.directory('UpsertEmployee', { employeeId, name: `员工 ${employeeId}`, departmentIds });
  const configure = (channelId: string, kind: string, extra: object = {}) =>
    h.downstreamCall('ConfigureChannel', {
      channelId,
      kind,
      connector: 'test-http',
      settings: { mailDomain: 'corp.example', ...extra },
    });
  const tenantId = () => h.tenant.tenantId;

  it('given employees, when the accounts channel is enabled, then each has an account; a disabled or departed one is disabled, never deleted', async () => {
    await h.directory('UpsertDepartment', { departmentId: 'd1', name: '销售部' });
    await h.directory('UpsertDepartment', { departmentId: 'd2', name: '市场部' });
    await h.directory('UpsertDepartment', { departmentId: 'd3', name: '市场二部', parentId: 'd2' });
    for (const [id, deps] of [
      ['zhangsan', ['d1']],
      ['lisi', ['d1']],
      ['e1', ['d2']],
      ['e2', ['d2']],
      ['e3', ['d3']],
      ['wangwu', ['d1']],
    ] as const)
      await employee(id, [...deps]);
    const configured = await configure('mail-accounts', 'CHANNEL_KIND_EMPLOYEE_ACCOUNTS');
    expect(configured.result).toMatchObject({ changed: true, channel: { enabled: false, revision: '0' } });
    expect(accounts().size).toBe(0);
    await h.downstreamCall('EnableChannel', { channelId: 'mail-accounts' });
    await eventually(() => expect(accounts().size).toBe(6), 20_000);
    expect(account('zhangsan')).toEqual({
      employeeId: 'zhangsan',
      email: 'zhangsan@corp.example',
      displayName: '员工 zhangsan',
      active: true,
    });

    await h.directory('DisableEmployee', { employeeId: 'lisi' });
    await eventually(() => expect(account('lisi')?.active).toBe(false), 10_000);
    await h.directory('MarkEmployeeLeft', { employeeId: 'zhangsan' });
    await eventually(() => expect(account('zhangsan')?.active).toBe(false), 10_000);
    expect(accounts().size).toBe(6);

    // The applier records a change as applied after the downstream answered: the state follows a moment later.
    await eventually(async () => {
      const { state } = await h.downstreamCall('GetChannelState', { channelId: 'mail-accounts' });
      expect(state).toMatchObject({
        status: 'ok',
        queueDepth: '0',
        lagSeconds: 0,
        channel: { enabled: true, kind: 'CHANNEL_KIND_EMPLOYEE_ACCOUNTS', connector: 'test-http' },
      });
      expect(state.lastAppliedAt).not.toBe('');
      // The last change applied and recorded: zhangsan's leaving (lisi's was seen downstream before it).
      expect(state.lastAppliedKey).toBe('account/zhangsan');
      // 6 pushed by the enable, then one per change (changes the planner reads in one batch are one state, D73).
      expect(Number(state.appliedTotal)).toBeGreaterThanOrEqual(7);
    }, 10_000);
  }, 60_000);

  it('given the downstream unreachable, then changes wait in the queue (state shows it) and apply in order when it returns', async () => {
    await h.downstream.stop();
    try {
      await h.directory('EnableEmployee', { employeeId: 'lisi' });
      await h.directory('DisableEmployee', { employeeId: 'lisi' });
      await h.directory('EnableEmployee', { employeeId: 'lisi' });
      await eventually(async () => {
        const { state } = await h.downstreamCall('GetChannelState', { channelId: 'mail-accounts' });
        expect(state).toMatchObject({ status: 'retrying' });
        expect(Number(state.queueDepth)).toBeGreaterThanOrEqual(1);
        expect(state.lastError).toMatch(/unavailable/);
        expect(state.lagSeconds).toBeGreaterThan(0);
      }, 15_000);
    } catch (error) {
      // The next tests need the downstream back.
      await h.downstream.listen();
      throw error;
    }
    const before = h.downstream.downstream.writes.length;
    expect(account('lisi')?.active).toBe(false);
    await h.downstream.listen();
    await eventually(async () => {
      const { state } = await h.downstreamCall('GetChannelState', { channelId: 'mail-accounts' });
      expect(state).toMatchObject({ status: 'ok', queueDepth: '0' });
    }, 20_000);
    const lisi = h.downstream.downstream.writes
      .slice(before)
      .flatMap((w) =>
        w.op === 'upsertAccount' && w.account.employeeId === 'lisi' ? [w.account.active] : [],
      );
    // Each write is a state at or after the one before it in lisi's history (active, disabled, active):
    // never an older state after a newer one; the last is the last state.
    const history = [true, false, true];
    let at = 0;
    for (const active of lisi) {
      while (at < history.length && history[at] !== active) at++;
      expect(at).toBeLessThan(history.length);
    }
    expect(lisi[lisi.length - 1]).toBe(true);
    expect(account('lisi')?.active).toBe(true);
  }, 60_000);

  it('given a member tag with employees and departments, then its mail group has exactly those (active) accounts, kept up to date', async () => {
    await configure('mail-groups', 'CHANNEL_KIND_TAG_GROUPS');
    await h.downstreamCall('EnableChannel', { channelId: 'mail-groups' });
    const base = { tenantId: tenantId() };
    let revision = 0;
    const r = () => String(revision++);
    await h.publishTagEvents([
      {
        type: 'tag.created.v1',
        data: {
          ...base,
          revision: r(),
          tagId: 'market-2',
          name: '市场二组',
          kind: 'member',
          nodeType: 'tag',
          parentId: null,
        },
      },
      {
        type: 'tag.created.v1',
        data: {
          ...base,
          revision: r(),
          tagId: 'vip',
          name: 'VIP客户',
          kind: 'customer',
          nodeType: 'tag',
          parentId: null,
        },
      },
      {
        type: 'tag.members_added.v1',
        data: {
          ...base,
          revision: r(),
          tagId: 'market-2',
          source: 'admin',
          members: [
            { kind: 'employee', id: 'wangwu' },
            { kind: 'department', id: 'd2' },
          ],
        },
      },
    ]);
    await eventually(
      () => expect(groups().get('market-2')?.memberEmployeeIds).toEqual(['e1', 'e2', 'e3', 'wangwu']),
      20_000,
    );
    expect(groups().get('market-2')).toMatchObject({
      displayName: '市场二组',
      email: 'market-2@corp.example',
    });
    expect(groups().has('vip')).toBe(false);

    // A disabled employee leaves the group (D73); a new employee of the department joins it.
    await h.directory('DisableEmployee', { employeeId: 'e1' });
    await employee('e4', ['d3']);
    await eventually(
      () => expect(groups().get('market-2')?.memberEmployeeIds).toEqual(['e2', 'e3', 'e4', 'wangwu']),
      20_000,
    );
    await h.directory('MoveEmployee', { employeeId: 'e2', fromDepartmentId: 'd2', toDepartmentId: 'd1' });
    await eventually(
      () => expect(groups().get('market-2')?.memberEmployeeIds).toEqual(['e3', 'e4', 'wangwu']),
      20_000,
    );

    await h.publishTagEvents([
      {
        type: 'tag.members_removed.v1',
        data: {
          ...base,
          revision: r(),
          tagId: 'market-2',
          source: 'admin',
          members: [{ kind: 'department', id: 'd2' }],
        },
      },
    ]);
    await eventually(() => expect(groups().get('market-2')?.memberEmployeeIds).toEqual(['wangwu']), 20_000);
    await h.publishTagEvents([
      {
        type: 'tag.deleted.v1',
        data: {
          ...base,
          revision: r(),
          tagId: 'market-2',
          tagIds: ['market-2'],
          deletedBy: 'admin',
          purgeDueAt: new Date().toISOString(),
        },
      },
    ]);
    await eventually(() => expect(groups().has('market-2')).toBe(false), 20_000);
    await h.publishTagEvents([
      {
        type: 'tag.restored.v1',
        data: { ...base, revision: r(), tagId: 'market-2', tagIds: ['market-2'], restoredBy: 'admin' },
      },
    ]);
    await eventually(() => expect(groups().get('market-2')?.memberEmployeeIds).toEqual(['wangwu']), 20_000);
  }, 90_000);

  it('given a mailbox still active for a disabled employee (the article), then drift finds it, lists it, and RepairDrift sets it right', async () => {
    accounts().get('lisi')!.active = true;
    await h.directory('DisableEmployee', { employeeId: 'lisi' });
    await eventually(() => expect(account('lisi')?.active).toBe(false), 10_000);
    // Tamper downstream behind TagGuard's back: the leak, an extra account, a deleted one.
    account('lisi')!.active = true;
    accounts().set('ghost', {
      employeeId: 'ghost',
      email: 'ghost@corp.example',
      displayName: 'ghost',
      active: true,
    });
    accounts().delete('wangwu');
    const detected = await h.downstreamCall('DetectDrift', { channelId: 'mail-accounts' });
    expect(detected.itemCount).toBe('3');
    const listed = await h.downstreamCall('ListDrift', { channelId: 'mail-accounts', pageSize: 2 });
    const next = await h.downstreamCall('ListDrift', {
      channelId: 'mail-accounts',
      pageToken: listed.nextPageToken,
    });
    const items = [...listed.items, ...next.items].map((i: Record<string, string>) => [
      i.kind,
      i.subject,
      i.expected,
      i.actual,
    ]);
    expect(items).toEqual([
      ['DRIFT_KIND_STATUS_MISMATCH', 'lisi', 'disabled', 'active'],
      ['DRIFT_KIND_MISSING_ACCOUNT', 'wangwu', 'active', 'absent'],
      ['DRIFT_KIND_EXTRA_ACCOUNT', 'ghost', 'absent', 'active'],
    ]);
    expect(next.nextPageToken).toBe('');
    expect(account('lisi')?.active).toBe(true);
    const repaired = await h.downstreamCall('RepairDrift', {
      channelId: 'mail-accounts',
      idempotencyKey: 'repair-1',
    });
    expect(repaired.repairsQueued).toBe('3');
    await eventually(() => {
      expect(account('lisi')?.active).toBe(false);
      expect(account('wangwu')?.active).toBe(true);
      expect(account('ghost')?.active).toBe(false);
    }, 10_000);
    expect(
      (await h.downstreamCall('RepairDrift', { channelId: 'mail-accounts', idempotencyKey: 'repair-1' }))
        .repairsQueued,
    ).toBe('3');
    // The extra account is disabled, never deleted: it stays an extra (disabled) account.
    const again = await h.downstreamCall('DetectDrift', { channelId: 'mail-accounts' });
    expect(again.items.map((i: Record<string, string>) => [i.kind, i.subject, i.actual])).toEqual([
      ['DRIFT_KIND_EXTRA_ACCOUNT', 'ghost', 'disabled'],
    ]);
  }, 60_000);

  it('given the AUTO policy, then a periodic detection repairs drift by itself', async () => {
    const pushedBefore = h.downstream.downstream.writes.length;
    await configure('mail-accounts', 'CHANNEL_KIND_EMPLOYEE_ACCOUNTS', {
      driftRepair: 'DRIFT_REPAIR_AUTO',
      driftIntervalSeconds: 10,
    });
    // Reconfiguring pushes every account once (7 employees); tamper only after that has been applied.
    await eventually(async () => {
      expect(h.downstream.downstream.writes.length - pushedBefore).toBeGreaterThanOrEqual(7);
      const { state } = await h.downstreamCall('GetChannelState', { channelId: 'mail-accounts' });
      expect(state.queueDepth).toBe('0');
    }, 20_000);
    const tampered = Date.now();
    account('lisi')!.active = true;
    await eventually(() => expect(account('lisi')?.active).toBe(false), 40_000, 250);
    const { state } = await h.downstreamCall('GetChannelState', { channelId: 'mail-accounts' });
    expect(Date.parse(state.lastDriftAt)).toBeGreaterThan(tampered);
    // Back to the default policy: that reconfiguration pushes every account once more; the next test starts
    // after it has been applied (an empty queue alone can be seen before the planner queued it).
    const pushedAgain = h.downstream.downstream.writes.length;
    await configure('mail-accounts', 'CHANNEL_KIND_EMPLOYEE_ACCOUNTS');
    await eventually(async () => {
      expect(h.downstream.downstream.writes.length - pushedAgain).toBeGreaterThanOrEqual(7);
      const { state } = await h.downstreamCall('GetChannelState', { channelId: 'mail-accounts' });
      expect(state.queueDepth).toBe('0');
    }, 20_000);
  }, 60_000);

  it('given a downstream emptied behind its back, then one ForceResync converges, streams progress and reports what changed; the same key joins the same resync', async () => {
    await eventually(async () => {
      const { state } = await h.downstreamCall('GetChannelState', { channelId: 'mail-accounts' });
      expect(state.queueDepth).toBe('0');
    }, 20_000);
    accounts().clear();
    accounts().set('ghost', {
      employeeId: 'ghost',
      email: 'ghost@corp.example',
      displayName: 'ghost',
      active: true,
    });
    const messages = await h.stream('ForceResync', {
      channelId: 'mail-accounts',
      idempotencyKey: 'resync-1',
    });
    const progress = messages.filter((m) => m.progress).map((m) => m.progress);
    const report = messages[messages.length - 1]!.report;
    expect(progress[0]).toMatchObject({ phase: 'planning' });
    expect(progress[progress.length - 1]).toMatchObject({ phase: 'done', done: '8', total: '8' });
    expect(report).toMatchObject({
      accountsCreated: '7',
      extraAccountsDisabled: '1',
      unchanged: '0',
      failed: '0',
    });
    expect(accounts().size).toBe(8);
    expect(account('ghost')?.active).toBe(false);
    expect(account('zhangsan')?.active).toBe(false);
    const writes = h.downstream.downstream.writes.length;
    const replay = await h.stream('ForceResync', { channelId: 'mail-accounts', idempotencyKey: 'resync-1' });
    expect(replay[replay.length - 1]!.report).toEqual(report);
    expect(h.downstream.downstream.writes.length).toBe(writes);
    const detected = await h.downstreamCall('DetectDrift', { channelId: 'mail-accounts' });
    expect(detected.items.map((i: Record<string, string>) => i.subject)).toEqual(['ghost']);
  }, 60_000);

  it('reports the downstream service, the planner, the applier, the drift timer and the tag consumer in health', async () => {
    for (const service of [
      '',
      'tagguard.sync.v1.DownstreamService',
      'sync-service.downstream-planner',
      'sync-service.downstream-applier',
      'sync-service.downstream-drift',
      'sync-service.downstream-tags',
    ])
      await eventually(async () => expect(await checkHealth(h.address, service)).toBe('SERVING'), 10_000);
  });

  it('refuses bad input naming the field, stale revisions, non-admins and other tenants', async () => {
    const fail = (method: string, request: object, caller?: DownstreamHarness['tenant']) =>
      h.failure('DownstreamService', method, request, caller);
    const good = {
      channelId: 'x1',
      kind: 'CHANNEL_KIND_EMPLOYEE_ACCOUNTS',
      connector: 'test-http',
      settings: { mailDomain: 'corp.example' },
    };
    expect(await fail('ConfigureChannel', { ...good, channelId: 'Bad_Id' })).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: 'channel_id',
    });
    expect(await fail('ConfigureChannel', { ...good, connector: 'memory' })).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: 'connector',
    });
    expect(await fail('ConfigureChannel', { ...good, kind: 'CHANNEL_KIND_UNSPECIFIED' })).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: 'kind',
    });
    expect(await fail('ConfigureChannel', { ...good, settings: { mailDomain: 'no domain' } })).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: 'settings.mail_domain',
    });
    expect(await fail('GetChannelState', { channelId: 'x1' })).toMatchObject({
      code: status.NOT_FOUND,
      field: 'channel_id',
    });
    expect(await fail('EnableChannel', { channelId: 'mail-accounts', expectedRevision: '0' })).toMatchObject({
      code: status.ABORTED,
      field: 'expected_revision',
    });
    const reader = { ...h.tenant, roles: [] };
    expect(await fail('ListChannels', {}, reader)).toMatchObject({ code: status.PERMISSION_DENIED });
    const other = { ...h.tenant, tenantId: `${h.tenant.tenantId}-other` };
    expect(await fail('GetChannelState', { channelId: 'mail-accounts' }, other)).toMatchObject({
      code: status.NOT_FOUND,
    });
    expect((await h.downstreamCall('ListChannels', {}, other)).channels).toEqual([]);
    const first = await h.downstreamCall('ConfigureChannel', { ...good, idempotencyKey: 'k1' });
    expect(await h.downstreamCall('ConfigureChannel', { ...good, idempotencyKey: 'k1' })).toEqual(first);
    expect(
      await fail('ConfigureChannel', { ...good, connector: 'other', idempotencyKey: 'k1' }),
    ).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: 'idempotency_key',
    });
    // ListChannels reads the channels' table, which follows their streams within moments.
    await eventually(async () =>
      expect((await h.downstreamCall('ListChannels', {})).channels).toHaveLength(3),
    );
    const { channels, connectors } = await h.downstreamCall('ListChannels', {});
    expect(connectors).toEqual(['test-http']);
    expect(channels.map((c: { channel: { channelId: string } }) => c.channel.channelId)).toEqual([
      'mail-accounts',
      'mail-groups',
      'x1',
    ]);
  }, 30_000);
});
