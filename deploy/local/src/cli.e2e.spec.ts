import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { workspaceRoot } from './paths';
import { isAlive } from './processes';

const run = promisify(execFile);

// The CLI as a developer uses it, on a second, private pair of servers (its own state dir), so the
// shared infrastructure of this test run is not touched.
describe('npm run infra -- up | status | down', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'tagguard-cli-'));
  const env = { ...process.env, TAGGUARD_STATE_DIR: stateDir };
  const cli = (...args: string[]) =>
    run(process.execPath, ['-r', '@swc-node/register', 'deploy/local/src/cli.ts', ...args], {
      cwd: workspaceRoot,
      env,
    });

  afterAll(async () => {
    await cli('down').catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts the three servers, reports them, and stops exactly those processes', async () => {
    const up = JSON.parse((await cli('up', '--json')).stdout) as {
      postgres: { pid: number; port: number };
      kafka: { pid: number };
      slapd: { pid: number; url: string; passwordFile: string };
    };
    expect(isAlive(up.postgres.pid)).toBe(true);
    expect(isAlive(up.kafka.pid)).toBe(true);
    expect(isAlive(up.slapd.pid)).toBe(true);
    expect(up.slapd.url).not.toBe(process.env['TAGGUARD_LDAP_URL']);
    expect(statSync(up.slapd.passwordFile).mode & 0o777).toBe(0o600);
    expect(up.postgres.port).not.toBe(Number(new URL(process.env['TAGGUARD_PG_URL']!).port));

    const status = JSON.parse((await cli('status', '--json')).stdout) as Record<
      string,
      { running: boolean; pid?: number }
    >;
    expect(status['postgres']).toMatchObject({ running: true, pid: up.postgres.pid });
    expect(status['kafka']).toMatchObject({ running: true, pid: up.kafka.pid });
    expect(status['slapd']).toMatchObject({ running: true, pid: up.slapd.pid, url: up.slapd.url });

    const again = JSON.parse((await cli('up', '--json')).stdout) as { kafka: { pid: number } };
    expect(again.kafka.pid).toBe(up.kafka.pid);

    await cli('down');
    expect(isAlive(up.postgres.pid)).toBe(false);
    expect(isAlive(up.kafka.pid)).toBe(false);
    expect(isAlive(up.slapd.pid)).toBe(false);
    await expect(cli('status')).rejects.toMatchObject({ code: 3 });
  }, 180_000);
});
