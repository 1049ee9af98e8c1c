import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { protoRoot } from '@tagguard/grpc-runtime';
import { freePort, startServiceProcess, tagguardClient, type ServiceProcess } from '@tagguard/testing';
import {
  generateDirectory,
  startWeComSandbox,
  type CorpAdmin,
  type SandboxUser,
  type WeComSandbox,
} from '@tagguard/wecom-sandbox';
import { Pool } from 'pg';
import { round } from './measure';
import type { BenchContext } from './registry';

const EMPLOYEES = Number(process.env['BENCH_DIRECTORY_EMPLOYEES'] ?? 100_000);
const DEPARTMENTS = Number(process.env['BENCH_DIRECTORY_DEPARTMENTS'] ?? 5_000);
/** The share of the directory changed before the second sync (1%). */
const CHANGED = Number(process.env['BENCH_DIRECTORY_CHANGED'] ?? 0.01);
const CORP = 'wwbenchdirectory01';
const SECRET = 'bench-secret';
const TENANT = 'tenant-bench-directory';

type Counts = { created: string; updated: string; removed: string; statusChanged: string; unchanged: string };
type Report = {
  departments: Counts;
  employees: Counts;
  customers: Counts;
  failures: unknown[];
  eventsWritten: string;
  seconds: number;
};
type Progress = { phase: string; done: string; total: string; ratePerSecond: number; etaSeconds: number };
type Message = { progress?: Progress; report?: Report; joined: boolean };
type Timed = Message & { atMs: number };

/**
 * Full import of a generated WeCom directory (100,000 employees in 5,000 departments; BENCH_DIRECTORY_*)
 * from the sandbox into sync-service (its own process) by RunFullSync over gRPC, with its progress stream;
 * then 1% of the directory changed in the sandbox (callbacks off) and RunFullSync again, its report
 * checked against the changes made. Raw baseline in the same run: the same sandbox HTTP calls the
 * connector makes (token, department list, users per department, customers per 100 followers), without
 * the ingest.
 */
export async function directoryImport({ postgresUrl, kafkaBrokers }: BenchContext) {
  const run = randomUUID().replace(/-/g, '').slice(0, 8);
  const schema = `bench_dir_${run}`;
  // The documented limits (10,000 calls a minute) would stop the baseline and two syncs within one
  // minute; the bench measures TagGuard, not WeCom's limiter.
  const sandbox = await startWeComSandbox({ corps: [{ corpId: CORP, secret: SECRET }], limits: [] });
  const corp = sandbox.admin(CORP);
  const generated = Date.now();
  corp.seed(generateDirectory({ seed: 7, departments: DEPARTMENTS, employees: EMPLOYEES }));
  const generationSeconds = (Date.now() - generated) / 1000;
  const pool = new Pool({ connectionString: postgresUrl, max: 2 });
  let service: ServiceProcess | undefined;
  let client: SyncClient | undefined;
  try {
    const rawBefore = await rawPaging(sandbox);
    const port = await freePort();
    service = await startServiceProcess(
      'sync-service',
      {
        GRPC_PORT: String(port),
        DATABASE_URL: postgresUrl,
        DATABASE_SCHEMA: schema,
        EVENTSTORE_SCHEMA: `${schema}_es`,
        KAFKA_BROKERS: kafkaBrokers.join(','),
        WECOM_TENANT_ID: TENANT,
        WECOM_CORP_ID: CORP,
        WECOM_SECRET: SECRET,
        WECOM_BASE_URL: sandbox.url,
        WECOM_PULL_ON_START: 'false',
        WECOM_FULL_SYNC_INTERVAL_SECONDS: '0',
        // The sandbox's limits are off (above), so the connector's own budget is too.
        WECOM_CALLS_PER_MINUTE: '1000000000',
        WECOM_CALLS_PER_HOUR: '1000000000',
        // sync-service's pool (10 unless given): the reconcile writes 32 at once, so it may wait for connections.
        ...(process.env['BENCH_DIRECTORY_POOL_SIZE']
          ? { DATABASE_POOL_SIZE: process.env['BENCH_DIRECTORY_POOL_SIZE'] }
          : {}),
      },
      120_000,
    );
    client = new SyncClient(`127.0.0.1:${port}`);
    const users = corp.snapshot().users;

    // 1. The full import.
    const first = await client.runFullSync();
    const mirror = await untilMirror(pool, schema, async (q) => (await q(`count(*)`)) === users.length);
    const listed = await client.listAllEmployees();
    const firstReport = first.messages.at(-1)!.report!;

    // 2. 1% changed in the sandbox, no callbacks (none is configured): the reconciliation finds them.
    const changes = await changeDirectory(corp, users);
    const rawAfter = await rawPaging(sandbox);
    const second = await client.runFullSync();
    const secondReport = second.messages.at(-1)!.report!;
    const mirror2 = await untilMirror(
      pool,
      schema,
      async (q) =>
        (await q(`count(*) filter (where name like 'Renamed %')`)) === changes.renamed &&
        (await q(`count(*) filter (where employee_id like 'bench-new-%')`)) === changes.added,
    );
    const expected = {
      created: changes.added,
      updated: changes.renamed + changes.moved,
      // A removed employee is kept as left: a status change (D43).
      statusChanged: changes.disabled + changes.removed,
      removed: 0,
    };
    const got = {
      created: Number(secondReport.employees.created),
      updated: Number(secondReport.employees.updated),
      statusChanged: Number(secondReport.employees.statusChanged),
      removed: Number(secondReport.employees.removed),
    };
    const rawSeconds = Math.min(rawBefore.seconds, rawAfter.seconds);
    return {
      description:
        'WeCom full sync (RunFullSync over gRPC: pull from the sandbox → reconcile into the directory) of a generated directory, then of the same directory after 1% changed, vs the same sandbox HTTP calls alone',
      directory: {
        employees: users.length,
        departments: DEPARTMENTS,
        generationSeconds: round(generationSeconds),
        sandboxRateLimits: 'off',
      },
      baselineRawPaging: {
        before: rawBefore,
        after: rawAfter,
        fastestSeconds: round(rawSeconds),
        employeesPerSecond: round(users.length / rawSeconds),
      },
      fullImport: {
        ...summary(first, users.length),
        toRawRatio: round(first.seconds / rawSeconds),
        mirrorCaughtUpSecondsAfterReport: round(mirror.seconds),
        listEmployees: { employees: listed.count, pages: listed.pages, seconds: round(listed.seconds) },
        report: firstReport,
      },
      reconcileAfterChange: {
        ...summary(second, users.length),
        mirrorCaughtUpSecondsAfterReport: round(mirror2.seconds),
        changesMade: changes,
        expectedEmployeeCounts: expected,
        reportEmployeeCounts: got,
        countsEqualChanges: JSON.stringify(expected) === JSON.stringify(got),
        departmentsUnchanged: secondReport.departments.unchanged === String(DEPARTMENTS),
        report: secondReport,
      },
    };
  } finally {
    client?.close();
    await service?.stop('SIGTERM');
    await sandbox.close();
    await pool.end();
  }
}

function summary(sync: { seconds: number; messages: Timed[] }, employees: number) {
  const progress = sync.messages.filter((m) => m.progress);
  const phases = [...new Set(progress.map((m) => m.progress!.phase))].map((phase) => {
    const of = progress.filter((m) => m.progress!.phase === phase);
    const last = of.at(-1)!;
    // ETA sanity: the prediction at about half way vs the time the phase really took from there.
    const half = of.find((m) => Number(m.progress!.done) * 2 >= Number(m.progress!.total)) ?? last;
    return {
      phase,
      messages: of.length,
      first: of[0]!.progress,
      last: last.progress,
      seconds: round((last.atMs - of[0]!.atMs) / 1000),
      etaAtHalfwaySeconds: half.progress!.etaSeconds,
      actualRemainingFromHalfwaySeconds: round((last.atMs - half.atMs) / 1000),
    };
  });
  return {
    seconds: round(sync.seconds),
    employeesPerSecond: round(employees / sync.seconds),
    progressMessages: progress.length,
    firstProgress: progress[0]?.progress,
    lastProgress: progress.at(-1)?.progress,
    phases,
  };
}

/** 1% of the employees: a fifth each disabled, renamed, moved, removed, and as many added. */
async function changeDirectory(corp: CorpAdmin, users: SandboxUser[]) {
  const n = Math.max(5, Math.round(users.length * CHANGED));
  const each = Math.floor(n / 5);
  // Active staff only, so each change is exactly one kind of difference (disabling a disabled one is none).
  const pool = users.filter((u) => u.status === 1 && u.position === 'Staff');
  const pick = (i: number) => pool.slice(i * each, (i + 1) * each);
  const departments = corp.snapshot().departments.map((d) => d.id);
  for (const u of pick(0)) await corp.updateUser(u.userid, { status: 2, enable: 0 });
  for (const u of pick(1)) await corp.updateUser(u.userid, { name: `Renamed ${u.userid}` });
  for (const [i, u] of pick(2).entries()) {
    const to = departments.find((d, j) => j >= i % departments.length && !u.department.includes(d))!;
    await corp.updateUser(u.userid, {
      department: [to],
      main_department: to,
      order: [0],
      is_leader_in_dept: [0],
    });
  }
  for (const u of pick(3)) await corp.deleteUser(u.userid);
  for (let i = 0; i < each; i++)
    await corp.upsertUser({
      userid: `bench-new-${i}`,
      name: `New ${i}`,
      department: [departments[i % departments.length]!],
      order: [0],
      position: 'Staff',
      is_leader_in_dept: [0],
      main_department: departments[i % departments.length]!,
      status: 1,
      enable: 1,
    });
  return { disabled: each, renamed: each, moved: each, removed: each, added: each, total: each * 5 };
}

/** The connector's HTTP calls without the ingest: token, department list, users per department, customers. */
async function rawPaging(sandbox: WeComSandbox) {
  const started = Date.now();
  const get = async <T>(path: string, params: Record<string, string>) => {
    const url = new URL(path, sandbox.url);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return (await (await fetch(url)).json()) as T & { errcode: number };
  };
  const { access_token } = await get<{ access_token: string }>('/cgi-bin/gettoken', {
    corpid: CORP,
    corpsecret: SECRET,
  });
  const { department } = await get<{ department: { id: number }[] }>('/cgi-bin/department/list', {
    access_token,
  });
  const ids = new Set<string>();
  let calls = 2;
  for (const d of department) {
    const { userlist } = await get<{ userlist: { userid: string }[] }>('/cgi-bin/user/list', {
      access_token,
      department_id: String(d.id),
    });
    calls++;
    for (const u of userlist) ids.add(u.userid);
  }
  const followers = [...ids];
  for (let i = 0; i < followers.length; i += 100) {
    const url = new URL('/cgi-bin/externalcontact/batch/get_by_user', sandbox.url);
    url.searchParams.set('access_token', access_token);
    await (
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userid_list: followers.slice(i, i + 100), cursor: '', limit: 100 }),
      })
    ).json();
    calls++;
  }
  const seconds = (Date.now() - started) / 1000;
  return { seconds: round(seconds), httpCalls: calls, employees: ids.size };
}

/** Polls the directory's read model (the mirror ListEmployees reads) until `done`; seconds it took. */
async function untilMirror(
  pool: Pool,
  schema: string,
  done: (q: (select: string) => Promise<number>) => Promise<boolean>,
) {
  const started = Date.now();
  const q = async (select: string) =>
    Number(
      (
        await pool.query<{ n: string }>(
          `select ${select} as n from "${schema}".employees where tenant_id = $1`,
          [TENANT],
        )
      ).rows[0]!.n,
    );
  while (!(await done(q))) {
    if (Date.now() - started > 600_000) throw new Error('the mirror did not catch up within 10 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { seconds: (Date.now() - started) / 1000 };
}

/** sync-service's ConnectorService and DirectoryService for the bench's tenant admin, over real gRPC. */
class SyncClient {
  private readonly connector: grpc.Client;
  private readonly directory: grpc.Client;
  constructor(address: string) {
    const load = (file: string, service: string) =>
      tagguardClient<grpc.Client>(address, `tagguard/sync/v1/${file}.proto`, protoRoot(), [
        'tagguard',
        'sync',
        'v1',
        service,
      ]);
    this.connector = load('connector_service', 'ConnectorService');
    this.directory = load('directory_service', 'DirectoryService');
  }

  private metadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    const token = signToken(
      { tenantId: TENANT, actorId: 'bench-admin', roles: ['tenant_admin'] },
      loadDevPrivateKey(),
    );
    metadata.set('authorization', `Bearer ${token}`);
    return metadata;
  }

  runFullSync(): Promise<{ seconds: number; messages: Timed[] }> {
    const c = this.connector as unknown as Record<
      string,
      (r: object, m: grpc.Metadata) => grpc.ClientReadableStream<Message>
    >;
    const started = Date.now();
    const call = c['RunFullSync']!.call(this.connector, {}, this.metadata());
    const messages: Timed[] = [];
    return new Promise((resolve, reject) => {
      call.on('data', (m: Message) => messages.push({ ...m, atMs: Date.now() - started }));
      call.on('error', reject);
      call.on('end', () => resolve({ seconds: (Date.now() - started) / 1000, messages }));
    });
  }

  /** Every employee of the tenant through ListEmployees (pages of 1,000). */
  async listAllEmployees() {
    const c = this.directory as unknown as Record<
      string,
      (
        r: object,
        m: grpc.Metadata,
        cb: (e: Error | null, v: { employees: unknown[]; nextPageToken: string }) => void,
      ) => void
    >;
    const started = Date.now();
    let count = 0;
    let pages = 0;
    let pageToken = '';
    do {
      const page = await new Promise<{ employees: unknown[]; nextPageToken: string }>((resolve, reject) =>
        c['ListEmployees']!.call(this.directory, { pageSize: 1000, pageToken }, this.metadata(), (e, v) =>
          e ? reject(e) : resolve(v),
        ),
      );
      count += page.employees.length;
      pages++;
      pageToken = page.nextPageToken;
    } while (pageToken);
    return { count, pages, seconds: (Date.now() - started) / 1000 };
  }

  close(): void {
    this.connector.close();
    this.directory.close();
  }
}
