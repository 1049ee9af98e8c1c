import { status, type ServiceError } from '@grpc/grpc-js';
import {
  generateDirectory,
  startWeComSandbox,
  type CorpAdmin,
  type WeComSandbox,
} from '@tagguard/wecom-sandbox';
import { SyncServiceHarness, type Caller } from '../testing/sync-service-harness';
import { ConnectorClient, type SyncMessage } from './testing/connector-client';

const CORP = 'wwconnectore2e0001';
const TENANT = 'tenant-connector-e2e';
const DEPARTMENTS = 40;
const EMPLOYEES = 400;

describe('tagguard.sync.v1.ConnectorService over gRPC, against the WeCom sandbox', () => {
  let sandbox: WeComSandbox;
  let corp: CorpAdmin;
  let svc: SyncServiceHarness;
  let connector: ConnectorClient;
  const admin: Caller = SyncServiceHarness.admin(TENANT);

  beforeAll(async () => {
    sandbox = await startWeComSandbox({ corps: [{ corpId: CORP, secret: 'sec' }] });
    corp = sandbox.admin(CORP);
    corp.seed(generateDirectory({ seed: 11, departments: DEPARTMENTS, employees: EMPLOYEES }));
    // No pull at start and no schedule: every full sync here is one a test asked for.
    svc = await SyncServiceHarness.start({
      WECOM_TENANT_ID: TENANT,
      WECOM_CORP_ID: CORP,
      WECOM_SECRET: 'sec',
      WECOM_BASE_URL: sandbox.url,
      WECOM_PULL_ON_START: 'false',
      WECOM_FULL_SYNC_INTERVAL_SECONDS: '0',
    });
    connector = new ConnectorClient(svc.address);
  });
  afterAll(async () => {
    connector?.close();
    await svc?.stop();
    await sandbox?.close();
  });

  const failure = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      const e = error as ServiceError;
      return { code: e.code, details: e.details };
    }
    throw new Error('succeeded, a failure was expected');
  };

  it('is STARTING before any full sync; RunFullSync streams progress, then the report of what it wrote', async () => {
    expect(await connector.status(admin)).toMatchObject({
      connector: 'wecom',
      state: 'CONNECTOR_STATE_STARTING',
      corpId: CORP,
      syncing: false,
    });
    const messages = await connector.runFullSync(admin);
    const progress = messages.filter((m) => m.progress).map((m) => m.progress!);
    const report = messages.at(-1)!.report!;
    expect(messages.slice(0, -1).every((m) => m.progress && !m.report)).toBe(true);
    expect([...new Set(progress.map((p) => p.phase))]).toEqual([
      'departments',
      'employees',
      'customers',
      'reconciling',
    ]);
    const employeesDone = progress.filter((p) => p.phase === 'employees').at(-1)!;
    expect(employeesDone).toMatchObject({
      done: String(DEPARTMENTS),
      total: String(DEPARTMENTS),
      etaSeconds: 0,
    });
    const written = progress.filter((p) => p.phase === 'reconciling').at(-1)!;
    expect(written.done).toBe(written.total);
    expect(Number(written.total)).toBe(DEPARTMENTS + EMPLOYEES);
    expect(report.departments).toMatchObject({ created: String(DEPARTMENTS), unchanged: '0' });
    expect(report.employees).toMatchObject({ created: String(EMPLOYEES), updated: '0', unchanged: '0' });
    expect(report.failures).toEqual([]);
    expect(report.seconds).toBeGreaterThan(0);

    // The mirror has them: ListEmployees over the directory's own API.
    const listed = await svc.call<{ employees: unknown[] }>(
      'ListEmployees',
      { pageSize: 1000, departmentId: '' },
      admin,
    );
    expect(listed.employees.length).toBeGreaterThan(0);

    const after = await connector.status<{
      state: string;
      lastFullSync: { report: unknown; seconds: number };
    }>(admin);
    expect(after.state).toBe('CONNECTOR_STATE_READY');
    expect(after.lastFullSync.report).toMatchObject({
      employees: report.employees,
      departments: report.departments,
    });
  });

  it('a second caller while a sync runs joins it: one pull, the same report, joined=true', async () => {
    const snapshot = corp.snapshot();
    const [renamed, disabled] = snapshot.users.filter((u) => u.status === 1);
    await corp.updateUser(renamed!.userid, { name: 'Renamed' });
    await corp.updateUser(disabled!.userid, { status: 2, enable: 0 });
    const pulls = corp.callCount('/cgi-bin/department/list');
    let second: Promise<SyncMessage[]> | undefined;
    const first = await connector.runFullSync(admin, () => {
      second ??= connector.runFullSync(admin);
    });
    const joined = await second!;
    expect(corp.callCount('/cgi-bin/department/list')).toBe(pulls + 1);
    expect(first.every((m) => !m.joined)).toBe(true);
    expect(joined.every((m) => m.joined)).toBe(true);
    expect(joined.at(-1)!.report).toEqual(first.at(-1)!.report);
    expect(first.at(-1)!.report!.employees).toMatchObject({
      updated: '1',
      statusChanged: '1',
      created: '0',
      removed: '0',
      unchanged: String(EMPLOYEES - 2),
    });
  });

  it('reports a failed department read per item, and a failed pull as UNAVAILABLE with the connector FAILING', async () => {
    corp.plantFault({
      path: '/cgi-bin/user/list',
      errcode: 60003,
      errmsg: 'department not found',
      times: 1,
      when: (p) => String(p['department_id']) === '2',
    });
    const report = (await connector.runFullSync(admin)).at(-1)!.report!;
    expect(report.failures).toEqual([
      { ref: 'department/2/users', errcode: 60003, errmsg: 'department not found' },
    ]);

    corp.plantFault({
      path: '/cgi-bin/department/list',
      errcode: 60011,
      errmsg: 'no privilege to access/modify contact/party/agent',
      times: 1,
    });
    const failed = await failure(() => connector.runFullSync(admin));
    expect(failed.code).toBe(status.UNAVAILABLE);
    expect(failed.details).toMatch(/full sync failed.*60011/);
    const st = await connector.status<{
      state: string;
      recentFailures: { kind: string; ref: string }[];
      message: string;
    }>(admin);
    expect(st.state).toBe('CONNECTOR_STATE_FAILING');
    expect(st.recentFailures[0]).toMatchObject({ kind: 'full_sync' });
    expect(st.recentFailures).toContainEqual(
      expect.objectContaining({ kind: 'sync_item', ref: 'department/2/users' }),
    );
  });

  it('another tenant: RunFullSync is FAILED_PRECONDITION saying the connector is off for it, the status OFF; a non-admin is PERMISSION_DENIED', async () => {
    const other = SyncServiceHarness.admin();
    const off = await failure(() => connector.runFullSync(other));
    expect(off.code).toBe(status.FAILED_PRECONDITION);
    expect(off.details).toContain(`not ${other.tenantId}`);
    expect(await connector.status(other)).toMatchObject({ state: 'CONNECTOR_STATE_OFF', corpId: '' });
    const reader = SyncServiceHarness.admin(TENANT, []);
    expect((await failure(() => connector.runFullSync(reader))).code).toBe(status.PERMISSION_DENIED);
    expect((await failure(() => connector.status(reader))).code).toBe(status.PERMISSION_DENIED);
  });
});
