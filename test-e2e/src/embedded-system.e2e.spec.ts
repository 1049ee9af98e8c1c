import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { protoRoot } from '@tagguard/grpc-runtime';
import { checkHealth, freePort, tagguardClient } from '@tagguard/testing';

// README's "run the system": the five builds on embedded PGlite, no server installed. A tag written
// through gRPC survives a full stop and start of the system.
const workspaceRoot = join(__dirname, '..', '..');
const services = ['tag-service', 'permission-service', 'mute-service', 'audit-service', 'sync-service'];

function startSystem(
  basePort: number,
  dataDir: string,
): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'deploy/local/src/run-system.ts'], {
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
    void exited.then((code) => reject(new Error(`run-system exited ${code}: ${err}`)));
  });
}

describe('embedded system (run-system on PGlite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tagguard-embedded-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  beforeAll(() => {
    for (const s of services)
      execFileSync(process.execPath, ['deploy/build/compile.mjs', `services/${s}`, s], {
        cwd: workspaceRoot,
      });
  }, 120_000);

  it('serves all five services and keeps a tag across a restart', async () => {
    // Five consecutive ports: probe the first and trust its neighbours on a quiet loopback.
    const basePort = await freePort();
    const key = loadDevPrivateKey();
    const metadata = new grpc.Metadata();
    metadata.set(
      'authorization',
      `Bearer ${signToken({ tenantId: 'tenant-a', actorId: 'admin-1', roles: ['tenant_admin'] }, key)}`,
    );
    const call = (method: string, request: object) => {
      const client = tagguardClient<grpc.Client>(
        `127.0.0.1:${basePort}`,
        'tagguard/tag/v1/tag_service.proto',
        protoRoot(),
        ['tagguard', 'tag', 'v1', 'TagService'],
      );
      return new Promise<Record<string, unknown>>((resolve, reject) =>
        (
          client as unknown as Record<
            string,
            (r: object, m: grpc.Metadata, cb: (e: Error | null, v: Record<string, unknown>) => void) => void
          >
        )[method]!.call(client, request, metadata, (error, value) => {
          client.close();
          if (error) reject(error);
          else resolve(value);
        }),
      );
    };

    const first = await startSystem(basePort, dataDir);
    for (let i = 0; i < services.length; i++)
      await expect(checkHealth(`127.0.0.1:${basePort + i}`)).resolves.toBe('SERVING');
    const tagId = randomUUID();
    const { result } = (await call('CreateTag', { tagId, name: 'VIP客户', kind: 'TAG_KIND_CUSTOMER' })) as {
      result: { consistencyToken: string };
    };
    await call('GetTag', { tagId, consistencyToken: result.consistencyToken });
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);

    const second = await startSystem(basePort, dataDir);
    const { tag } = await call('GetTag', { tagId, consistencyToken: result.consistencyToken });
    expect(tag).toMatchObject({ tagId, name: 'VIP客户' });
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 180_000);
});
