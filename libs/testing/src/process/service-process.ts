import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface ServiceProcess {
  child: ChildProcess;
  /** Every stdout line parsed as JSON; a line that is not JSON is kept as { unparsed }. */
  lines: Record<string, unknown>[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const workspaceRoot = join(__dirname, '..', '..', '..', '..');
/** How long a child that did not start gets to end on SIGTERM before it is killed. */
const KILL_GRACE_MS = 5_000;

/**
 * Runs a service's main.ts as its own Node process (compiled on load by SWC), the way an operator runs
 * it, and resolves once it logs `service.started` (written at any LOG_LEVEL but silent: D114). A child
 * that does not start in `timeoutMs` is stopped (SIGTERM, then SIGKILL) and waited for before the start
 * rejects, so a failed start leaves no process behind.
 */
export async function startServiceProcess(
  service: string,
  env: Record<string, string>,
  timeoutMs = 30_000,
  /** Another entry than the service's main.ts (a test's own, e.g. with a test downstream), from the root. */
  entry = join('services', service, 'src', 'main.ts'),
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', entry], {
    cwd: workspaceRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { stdout, stderr: errors } = child;
  if (!stdout || !errors) throw new Error('child process has no stdout/stderr pipes');
  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let buffer = '';
  const kill = async (): Promise<void> => {
    // No pid: it never spawned (no exit will come); an exit code or signal: it has ended already.
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const grace = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    await exited;
    clearTimeout(grace);
  };
  const started = new Promise<void>((resolve, reject) => {
    // The first outcome wins: a timeout's kill ends in an exit that must not read as "exited before starting",
    // a started line that arrives while the timeout kills the child does not start it, and nothing after the
    // start stops a started child.
    let failing = false;
    let startedLine = false;
    const fail = (error: () => Error): void => {
      if (failing || startedLine) return;
      failing = true;
      clearTimeout(timer);
      void kill().then(() => reject(error()));
    };
    const timer = setTimeout(
      () =>
        fail(
          () =>
            new Error(
              `${service} did not start in ${timeoutMs} ms (no service.started line; stopped): ${stderr.join('')}`,
            ),
        ),
      timeoutMs,
    );
    child.once('error', (error) => fail(() => error));
    stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (!line.trim()) continue;
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          lines.push(parsed);
          if (parsed['event'] === 'service.started' && !failing && !startedLine) {
            startedLine = true;
            clearTimeout(timer);
            resolve();
          }
        } catch {
          lines.push({ unparsed: line });
        }
      }
    });
    errors.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    void exited.then(({ code, signal }) =>
      fail(() => new Error(`${service} exited with ${code ?? signal} before starting: ${stderr.join('')}`)),
    );
  });
  await started;
  return {
    child,
    lines,
    stderr,
    exited,
    stop: (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
