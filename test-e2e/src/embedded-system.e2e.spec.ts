import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { checkHealth, eventually, freePortRange } from '@tagguard/testing';
import { serverStream, serviceClient, signedMetadata, unary } from './support/callers';

// README's "run the system": the five services in one process with the in-process transport, on a real
// PostgreSQL 18 from npm (a child of the host), no server installed. A tag written through gRPC reaches the
// audit trail through the relay and the in-process transport, both survive a full stop and start and a
// SIGKILL of the host, a forced re-initialization of tag-service's read models works there, and the
// database lets nobody in without the password only the owner can read.
const workspaceRoot = join(__dirname, '..', '..');
const hostMain = join(workspaceRoot, 'dist', 'embedded', 'deploy', 'embedded', 'src', 'main.js');
// Ports are offsets from the base: tag 0, permission 1, mute 2, audit 3, sync 4.
const SERVICE_COUNT = 5;
const AUDIT = 3;

interface System {
  child: ChildProcess;
  exited: Promise<number | null>;
  databasePort: number;
  stderr: () => string;
}

/** Exit code 0, or the code with the host's last words (a failed stop is otherwise silent). */
async function interrupt(system: System): Promise<0 | string> {
  system.child.kill('SIGINT');
  const code = await system.exited;
  return code === 0 ? 0 : `exit ${code}: ${system.stderr().slice(-3000)}`;
}

function startSystem(basePort: number, dataDir: string): Promise<System> {
  const child = spawn(process.execPath, ['--enable-source-maps', hostMain], {
    cwd: workspaceRoot,
    env: { ...process.env, TAGGUARD_BASE_PORT: String(basePort), TAGGUARD_EMBEDDED_DATA: dataDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const databasePort = /embedded PostgreSQL 18 at 127\.0\.0\.1:(\d+)/.exec(err)?.[1];
      if (err.includes('TagGuard is running'))
        resolve({ child, exited, databasePort: Number(databasePort), stderr: () => err });
    });
    void exited.then((code) => reject(new Error(`embedded host exited ${code}: ${err}`)));
  });
}

async function connectAs(port: number, password: string | undefined): Promise<Client> {
  const client = new Client({ host: '127.0.0.1', port, user: 'tagguard', database: 'tagguard', password });
  await client.connect();
  return client;
}

const postmasterPid = (dataDir: string): number =>
  Number(readFileSync(join(dataDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('embedded system (one process, PostgreSQL 18 from npm, in-process transport)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tagguard-embedded-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  beforeAll(() => {
    execFileSync(
      process.execPath,
      ['deploy/build/compile.mjs', 'deploy/embedded', 'embedded', 'services', 'deploy/wecom-sandbox'],
      {
        cwd: workspaceRoot,
      },
    );
  }, 120_000);

  it('serves all five services, records tag events in the audit trail, and keeps both across a restart', async () => {
    // Five consecutive ports: probe the first and trust its neighbours on a quiet loopback.
    const basePort = await freePortRange(5);
    const caller = signedMetadata('tenant-a');
    const tags = () => serviceClient(`127.0.0.1:${basePort}`, 'tag');
    const trail = () => serviceClient(`127.0.0.1:${basePort + AUDIT}`, 'audit');
    const auditedTypes = async (tagId: string) => {
      const page = await unary<{ records: { subjectId: string; eventType: string }[] }>(
        trail(),
        'ListAuditRecords',
        { pageSize: 500 },
        caller,
      );
      return page.records.filter((r) => r.subjectId === tagId).map((r) => r.eventType);
    };

    const first = await startSystem(basePort, dataDir);
    // sync-service turns SERVING once the WeCom connector's first pull is reconciled into the directory.
    for (let i = 0; i < SERVICE_COUNT; i++)
      await eventually(
        async () => expect(await checkHealth(`127.0.0.1:${basePort + i}`)).toBe('SERVING'),
        30_000,
      );
    // The WeCom demo (on by default): the sandbox at base + 19, seeded, for sync-service's connector.
    const wecom = await fetch(`http://127.0.0.1:${basePort + 19}/sandbox/corps/wwtagguarddemo001/directory`);
    expect(((await wecom.json()) as { users: unknown[] }).users).toHaveLength(4);
    // Its full pull, reconciled by sync-service's directory: the mirror serves the demo's people.
    const directory = () => serviceClient(`127.0.0.1:${basePort + 4}`, 'directory');
    await eventually(async () => {
      const { employees } = await unary<{ employees: { employeeId: string }[] }>(
        directory(),
        'ListEmployees',
        {},
        caller,
      );
      expect(employees).toHaveLength(4);
    }, 30_000);
    // Employees and customers are reconciled side by side: the customers may land a moment later.
    await eventually(async () => {
      const customers = await unary<{ customers: { externalUserId: string }[] }>(
        directory(),
        'ListCustomers',
        { followerId: 'lisi' },
        caller,
      );
      expect(customers.customers.map((c) => c.externalUserId)).toEqual(['wmDemoCustomer0001']);
    }, 30_000);
    const tagId = randomUUID();
    const { result } = await unary<{ result: { consistencyToken: string } }>(
      tags(),
      'CreateTag',
      { tagId, name: 'VIP客户', kind: 'TAG_KIND_CUSTOMER' },
      caller,
    );
    await eventually(async () => expect(await auditedTypes(tagId)).toEqual(['tag.created.v1']), 30_000);

    // Nobody gets at the audit rows without the owner-only password: no trust, no guessing.
    const passwordFile = join(dataDir, 'password');
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    await expect(connectAs(first.databasePort, undefined)).rejects.toThrow(/password/);
    await expect(connectAs(first.databasePort, 'postgres')).rejects.toMatchObject({ code: '28P01' });
    const owner = await connectAs(first.databasePort, readFileSync(passwordFile, 'utf8').trim());
    const { rows } = await owner.query("SELECT current_setting('listen_addresses') AS listen");
    await owner.end();
    expect(rows).toEqual([{ listen: '127.0.0.1' }]);

    // Stopping the host stops its database.
    const firstDatabase = postmasterPid(dataDir);
    expect(await interrupt(first)).toBe(0);
    expect(isAlive(firstDatabase)).toBe(false);

    const second = await startSystem(basePort, dataDir);
    const { tag } = await unary<{ tag: object }>(
      tags(),
      'GetTag',
      { tagId, consistencyToken: result.consistencyToken },
      caller,
    );
    expect(tag).toMatchObject({ tagId, name: 'VIP客户' });
    await unary(tags(), 'RenameTag', { tagId, name: '意向客户', expectedRevision: '0' }, caller);
    // The restart neither lost nor repeated the first record.
    await eventually(
      async () => expect(await auditedTypes(tagId)).toEqual(['tag.created.v1', 'tag.renamed.v1']),
      30_000,
    );
    // 强制初始化 in the embedded mode: the rebuilt tables equal the live ones and are swapped in.
    const progress = await serverStream<{ phase: string; checks: { equal: boolean }[] }>(
      serviceClient(`127.0.0.1:${basePort}`, 'timeMachine'),
      'RebuildReadModels',
      {},
      signedMetadata('tenant-a', 'sre-1', ['tenant_admin', 'platform_operator']),
    );
    expect(progress.at(-1)).toMatchObject({ phase: 'swapped' });
    expect(progress.at(-1)!.checks.every((c) => c.equal)).toBe(true);

    // A host killed outright leaves its database running without a parent; the next start takes it over.
    second.child.kill('SIGKILL');
    await second.exited;
    expect(isAlive(postmasterPid(dataDir))).toBe(true);
    const third = await startSystem(basePort, dataDir);
    await expect(unary<{ tag: object }>(tags(), 'GetTag', { tagId }, caller)).resolves.toMatchObject({
      tag: { tagId, name: '意向客户' },
    });
    expect(await interrupt(third)).toBe(0);
    expect(existsSync(join(dataDir, 'data', 'postmaster.pid'))).toBe(false);
  }, 240_000);
});
