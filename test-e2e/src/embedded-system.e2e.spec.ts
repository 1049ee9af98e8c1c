import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHealth, eventually, freePort } from '@tagguard/testing';
import { serverStream, serviceClient, signedMetadata, unary } from './support/callers';

// README's "run the system": the five services in one process on embedded PGlite with the in-process
// transport, no server installed. A tag written through gRPC reaches the audit trail through the relay
// and the in-process transport, both survive a full stop and start of the system, and a forced
// re-initialization of tag-service's read models works there.
const workspaceRoot = join(__dirname, '..', '..');
const hostMain = join(workspaceRoot, 'dist', 'embedded', 'deploy', 'embedded', 'src', 'main.js');
// Ports are offsets from the base: tag 0, permission 1, mute 2, audit 3, sync 4.
const SERVICE_COUNT = 5;
const AUDIT = 3;

function startSystem(
  basePort: number,
  dataDir: string,
): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
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
      if (err.includes('TagGuard is running')) resolve({ child, exited });
    });
    void exited.then((code) => reject(new Error(`embedded host exited ${code}: ${err}`)));
  });
}

describe('embedded system (one process, PGlite, in-process transport)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tagguard-embedded-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  beforeAll(() => {
    execFileSync(process.execPath, ['deploy/build/compile.mjs', 'deploy/embedded', 'embedded', 'services'], {
      cwd: workspaceRoot,
    });
  }, 120_000);

  it('serves all five services, records tag events in the audit trail, and keeps both across a restart', async () => {
    // Five consecutive ports: probe the first and trust its neighbours on a quiet loopback.
    const basePort = await freePort();
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
    for (let i = 0; i < SERVICE_COUNT; i++)
      await expect(checkHealth(`127.0.0.1:${basePort + i}`)).resolves.toBe('SERVING');
    const tagId = randomUUID();
    const { result } = await unary<{ result: { consistencyToken: string } }>(
      tags(),
      'CreateTag',
      { tagId, name: 'VIP客户', kind: 'TAG_KIND_CUSTOMER' },
      caller,
    );
    await eventually(async () => expect(await auditedTypes(tagId)).toEqual(['tag.created.v1']), 30_000);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);

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
    // 强制初始化 on PGlite too (no COPY there): the rebuilt tables equal the live ones and are swapped in.
    const progress = await serverStream<{ phase: string; checks: { equal: boolean }[] }>(
      serviceClient(`127.0.0.1:${basePort}`, 'timeMachine'),
      'RebuildReadModels',
      {},
      signedMetadata('tenant-a', 'sre-1', ['tenant_admin', 'platform_operator']),
    );
    expect(progress.at(-1)).toMatchObject({ phase: 'swapped' });
    expect(progress.at(-1)!.checks.every((c) => c.equal)).toBe(true);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 180_000);
});
