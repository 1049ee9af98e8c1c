import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { freePort } from '@tagguard/testing';

// The committed development key signs tokens anyone can mint, so a service that binds beyond loopback
// refuses to start with it: as the operator sees it, an OS process that exits non-zero and names the
// variables to set. Nothing here may ever listen beyond loopback: the port is held on 127.0.0.1 first, so
// a service that wrongly went on would fail to bind 0.0.0.0 (and say so) instead of serving.
const root = join(__dirname, '..', '..', '..');

function run(service: string, env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', join('services', service, 'src', 'main.ts')],
    {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise<{ code: number | null; lines: Record<string, unknown>[] }>((resolve) =>
    child.once('exit', (code) =>
      resolve({
        code,
        lines: output
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      }),
    ),
  );
}

describe.each(['tag-service', 'audit-service'])('%s on 0.0.0.0 with the development key', (service) => {
  let port: number;
  let guard: Server;
  beforeAll(async () => {
    port = await freePort();
    guard = createServer();
    await new Promise<void>((resolve) => guard.listen(port, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise((resolve) => guard.close(resolve)));

  it('refuses to start: exit code 1, one fatal line naming AUTH_PUBLIC_KEY_FILE and AUTH_ALLOW_DEV_KEY', async () => {
    const { code, lines } = await run(service, {
      GRPC_HOST: '0.0.0.0',
      GRPC_PORT: String(port),
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      AUTH_PUBLIC_KEY_FILE: '',
      AUTH_ALLOW_DEV_KEY: '',
      TAGGUARD_ENV: '',
    });
    expect(code).toBe(1);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'fatal',
        service,
        msg: expect.stringMatching(/^AUTH_PUBLIC_KEY_FILE: .*GRPC_HOST=0\.0\.0\.0.*AUTH_ALLOW_DEV_KEY=true/),
      }),
    ]);
  }, 60_000);

  it('with AUTH_ALLOW_DEV_KEY=true it goes on, after a warn line naming the variable', async () => {
    // The database is unreachable, so the process stops before it would bind: what is checked is that
    // the refusal was lifted and said so at warn, first.
    const { code, lines } = await run(service, {
      GRPC_HOST: '0.0.0.0',
      GRPC_PORT: String(port),
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      AUTH_PUBLIC_KEY_FILE: '',
      AUTH_ALLOW_DEV_KEY: 'true',
      TAGGUARD_ENV: '',
    });
    expect(code).toBe(1);
    expect(lines[0]).toMatchObject({
      level: 'warn',
      event: 'config.warning',
      variable: 'AUTH_ALLOW_DEV_KEY',
      msg: expect.stringMatching(
        /^AUTH_ALLOW_DEV_KEY=true: accepting the development key although GRPC_HOST=0\.0\.0\.0/,
      ),
    });
    expect(lines.map((l) => l['msg'])).not.toContainEqual(expect.stringMatching(/^AUTH_PUBLIC_KEY_FILE/));
    expect(lines.map((l) => l['event'])).not.toContain('service.started');
  }, 60_000);
});
