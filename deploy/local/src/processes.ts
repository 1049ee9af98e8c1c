import { spawn, type SpawnOptions } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Starts a long-running server in its own process group with output appended to a log file,
 * detached so it outlives this CLI; the pid file is the only record `down` needs.
 */
export function startDetached(
  command: string,
  args: string[],
  options: { logFile: string; pidFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): number {
  const log = openSync(options.logFile, 'a');
  const spawnOptions: SpawnOptions = {
    detached: true,
    stdio: ['ignore', log, log],
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  };
  const child = spawn(command, args, spawnOptions);
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  child.unref();
  writeFileSync(options.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** SIGTERM to the whole process group, then SIGKILL if it is still there after the grace period. */
export async function stopProcessGroup(pid: number, graceMs = 15_000): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (!isAlive(pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    signal('SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
}

export function removeFile(path: string): void {
  rmSync(path, { force: true });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it resolves, or fails with the last error and the tail of the server's log. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T>,
  options: { timeoutMs: number; logFile?: string; stillRunning?: () => boolean },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (options.stillRunning && !options.stillRunning()) break;
    try {
      return await probe();
    } catch (error) {
      lastError = error;
      await sleep(250);
    }
  }
  const tail =
    options.logFile && existsSync(options.logFile)
      ? readFileSync(options.logFile, 'utf8').split('\n').slice(-25).join('\n')
      : '';
  const reason = lastError instanceof Error ? lastError.message : String(lastError ?? 'process exited');
  throw new Error(`${what} did not become ready: ${reason}${tail ? `\n--- log tail ---\n${tail}` : ''}`);
}
