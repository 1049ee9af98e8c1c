import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { resolveVerifierKey, TokenVerifier } from '@tagguard/auth';
import { protoRoot } from '@tagguard/grpc-runtime';
import {
  freePort,
  startServiceProcess,
  tagguardClient,
  testInfra,
  type ServiceProcess,
} from '@tagguard/testing';

const run = promisify(execFile);
const workspaceRoot = join(__dirname, '..', '..', '..');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

// The token CLI as a person runs it: its own process, stdout for the token, stderr for the rest.
const token = (...args: string[]): Promise<Ran> =>
  run(process.execPath, ['-r', '@swc-node/register', 'deploy/local/src/token-cli.ts', ...args], {
    cwd: workspaceRoot,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );

const verifier = new TokenVerifier(resolveVerifierKey({}, '127.0.0.1').pem);

describe('npm run token (the development token CLI)', () => {
  it('--help explains every option and the exit codes, and exits 0', async () => {
    const help = await token('--help');
    expect(help.code).toBe(0);
    for (const text of ['--tenant', '--actor', '--roles', '--dept', '--ttl', 'tenant_admin', 'Exit codes'])
      expect(help.stdout).toContain(text);
    expect((await token('-h')).stdout).toBe(help.stdout);
  });

  it.each([
    [['--tennant', 'a', '--actor', 'b'], "Unknown option '--tennant'"],
    [['--tenant', 'a'], 'missing --actor'],
    [[], 'missing --tenant and --actor'],
    [['--tenant', 'a', '--actor', 'b', '--ttl', '10m'], '--ttl must be a whole number of seconds'],
    [['--tenant', 'a', '--actor', 'b', '--ttl', '0'], '--ttl must be a whole number of seconds'],
    [['--tenant', 'a', '--actor', 'b', '--roles'], "Option '--roles <value>' argument missing"],
    [['--tenant', 'a', '--actor', 'b', 'tenant_admin'], "Unexpected argument 'tenant_admin'"],
  ])('%j: one clear line, no stack trace, exit code 2', async (args, message) => {
    const ran = await token(...args);
    expect(ran.code).toBe(2);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toContain(message);
    expect(ran.stderr).toContain('--help');
    expect(ran.stderr).not.toMatch(/^\s+at /m);
    expect(ran.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  });

  it('prints only the token on stdout and its lifetime on stderr; the lifetime is the one signed', async () => {
    const ran = await token(
      '--tenant',
      'tenant-a',
      '--actor',
      'admin-1',
      '--roles',
      'tenant_admin',
      '--ttl',
      '7200',
    );
    expect(ran.code).toBe(0);
    const lines = ran.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(verifier.verify(lines[0]!)).toEqual({
      tenantId: 'tenant-a',
      actorId: 'admin-1',
      roles: ['tenant_admin'],
    });
    const claims = JSON.parse(Buffer.from(lines[0]!.split('.')[1]!, 'base64url').toString()) as {
      exp: number;
      iat: number;
    };
    expect(claims.exp - claims.iat).toBe(7200);
    expect(ran.stderr).toContain('valid for 2 h');
    expect(ran.stderr).toContain(`until ${new Date(claims.exp * 1000).toISOString()}`);
  });

  it('says so when the token cannot write', async () => {
    const ran = await token('--tenant', 'tenant-a', '--actor', 'viewer-1');
    expect(ran.code).toBe(0);
    expect(ran.stderr).toContain('can read but not write');
  });

  it('names what a platform operator token is for, without the tenant_admin hint', async () => {
    const ran = await token('--tenant', 'tenant-a', '--actor', 'ops-1', '--roles', 'platform_operator');
    expect(ran.code).toBe(0);
    expect(ran.stderr).toContain('a platform operator token');
    expect(ran.stderr).not.toContain('add --roles tenant_admin');
  });

  describe("the embedded start banner's token command", () => {
    let service: ServiceProcess;
    let address: string;
    beforeAll(async () => {
      const port = await freePort();
      address = `127.0.0.1:${port}`;
      const schema = `tokencli_${port}`;
      service = await startServiceProcess('tag-service', {
        GRPC_PORT: String(port),
        DATABASE_URL: testInfra().postgresUrl,
        DATABASE_SCHEMA: schema,
        EVENTSTORE_SCHEMA: `${schema}_es`,
        KAFKA_BROKERS: '',
      });
    });
    afterAll(() => service?.stop());

    const createTag = (bearer: string): Promise<grpc.status> => {
      const client = tagguardClient<grpc.Client>(address, 'tagguard/tag/v1/tag_service.proto', protoRoot(), [
        'tagguard',
        'tag',
        'v1',
        'TagService',
      ]) as unknown as Record<
        string,
        (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null) => void) => void
      >;
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${bearer}`);
      return new Promise((resolve) =>
        client['CreateTag']!.call(
          client,
          { tagId: randomUUID(), name: 'from the banner', kind: 'TAG_KIND_CUSTOMER' },
          metadata,
          (e) => {
            (client as unknown as grpc.Client).close();
            resolve(e ? e.code : grpc.status.OK);
          },
        ),
      );
    };

    it('run as printed, gives a token that can write (CreateTag on a real tag-service is OK)', async () => {
      const main = readFileSync(join(workspaceRoot, 'deploy/embedded/src/main.ts'), 'utf8');
      const command = /caller token[^:]*: (TOKEN=\$\(.*\))'/.exec(main)?.[1];
      expect(command).toBeDefined();
      const { stdout } = await run('bash', ['-c', `${command!} && printf '%s' "$TOKEN"`], {
        cwd: workspaceRoot,
      });
      expect(verifier.verify(stdout).roles).toContain('tenant_admin');
      await expect(createTag(stdout)).resolves.toBe(grpc.status.OK);
      // and the difference matters: the same command without roles cannot write
      const readOnly = (await token('--tenant', 'tenant-a', '--actor', 'admin-1')).stdout.trim();
      await expect(createTag(readOnly)).resolves.toBe(grpc.status.PERMISSION_DENIED);
    });
  });
});
