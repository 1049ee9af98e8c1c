import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServiceProcess, type ServiceProcess } from './service-process';

const entry = join('libs', 'testing', 'src', 'process', 'fixtures', 'tiny-service.ts');
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
};

// D114: the starter sees a service start whatever its LOG_LEVEL, and a failed start leaves no process behind.
describe('startServiceProcess', () => {
  const dir = mkdtempSync(join(tmpdir(), 'service-process-'));
  let started: ServiceProcess | undefined;
  afterAll(async () => {
    await started?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('Given LOG_LEVEL=warn, When the service starts, Then its service.started line is still written and the start resolves', async () => {
    started = await startServiceProcess(
      'tiny-service',
      { TINY_MODE: 'lifecycle', LOG_LEVEL: 'warn' },
      10_000,
      entry,
    );
    expect(started.lines).toContainEqual(
      expect.objectContaining({ event: 'service.started', level: 'info', service: 'tiny-service' }),
    );
    // The level holds for every other line.
    expect(started.lines.some((l) => l['event'] === 'tiny.info')).toBe(false);
    expect(await started.stop()).toMatchObject({ code: 0 });
  });

  it('Given a service that never starts and ignores SIGTERM, When the start times out, Then it is killed and has exited before the start rejects', async () => {
    const pidFile = join(dir, 'hang.pid');
    await expect(
      startServiceProcess('tiny-service', { TINY_MODE: 'hang', TINY_PID_FILE: pidFile }, 3_000, entry),
    ).rejects.toThrow('tiny-service did not start in 3000 ms (no service.started line; stopped)');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  }, 20_000);

  it('Given a service whose started line comes while the timeout stops it, Then the start still rejects and the child is gone', async () => {
    const pidFile = join(dir, 'late.pid');
    await expect(
      startServiceProcess('tiny-service', { TINY_MODE: 'late', TINY_PID_FILE: pidFile }, 2_000, entry),
    ).rejects.toThrow('tiny-service did not start in 2000 ms (no service.started line; stopped)');
    expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  }, 20_000);

  it('Given a service that exits before starting, Then the start rejects with its exit code and stderr', async () => {
    await expect(startServiceProcess('tiny-service', { TINY_MODE: 'crash' }, 10_000, entry)).rejects.toThrow(
      /tiny-service exited with 3 before starting: tiny-service: no such mode/,
    );
  });
});
