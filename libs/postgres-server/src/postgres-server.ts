import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { postgresBinDir, postgresMajorVersion } from './binaries';
import { type OsUser, prepareRoot, serverOsUser } from './os-user';

export interface PostgresServerOptions {
  /** Folder for data/ (the cluster), password (0600) and server.log; created owner-only. */
  root: string;
  /** Role and database the URL names. */
  user?: string;
  database?: string;
  /** A free loopback port when omitted. */
  port?: number;
  /** Extra server settings (`-c name=value`). */
  settings?: Record<string, string>;
  /** The server outlives this process (the test infrastructure); else it is a child stopped by stop(). */
  detached?: boolean;
  /** A cluster that cannot be used (other major version, no password) is deleted and made again. */
  throwaway?: boolean;
  readyTimeoutMs?: number;
}

export interface PostgresServer {
  /** postgres://user:password@127.0.0.1:port/database */
  url: string;
  port: number;
  pid: number;
  root: string;
  dataDir: string;
  passwordFile: string;
  logFile: string;
  /** Resolves with the exit code when the server process ends, for whatever reason. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL server on 127.0.0.1 only (no Unix socket), with SCRAM-SHA-256 password
 * authentication for every connection — never trust. The password is generated once, kept owner-only
 * in `<root>/password`, and is in the returned URL; the server log goes to `<root>/server.log`.
 */
export async function startPostgresServer(options: PostgresServerOptions): Promise<PostgresServer> {
  const user = options.user ?? 'tagguard';
  const database = options.database ?? 'tagguard';
  const binDir = postgresBinDir();
  const osUser = serverOsUser();
  const root = prepareRoot(options.root, osUser);
  const dataDir = join(root, 'data');
  const passwordFile = join(root, 'password');
  const logFile = join(root, 'server.log');

  await stopOrphan(dataDir);
  initCluster({ binDir, osUser, dataDir, passwordFile, user, throwaway: options.throwaway ?? false });
  const password = readFileSync(passwordFile, 'utf8').trim();
  const port = options.port ?? (await freeLoopbackPort());
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    ...options.settings,
  };
  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];

  const log = openSync(logFile, 'a', 0o600);
  if (osUser) chownSync(logFile, osUser.uid, osUser.gid);
  const child = spawn(join(binDir, 'postgres'), args, {
    stdio: ['ignore', log, log],
    // Its own process group always: a Ctrl-C in the terminal reaches the host only, which stops the
    // services first and the database last.
    detached: true,
    env: { ...process.env, LC_ALL: 'C' },
    ...(osUser ? { uid: osUser.uid, gid: osUser.gid } : {}),
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${join(binDir, 'postgres')}`);
  if (options.detached) child.unref();
  const exited = exitOf(child);

  const credentials = `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
  const urlOf = (db: string) => `postgres://${credentials}@127.0.0.1:${port}/${encodeURIComponent(db)}`;
  const stop = () => stopChild(child, exited);
  try {
    await waitReady(urlOf('postgres'), exited, options.readyTimeoutMs ?? 60_000);
    await createDatabaseIfMissing(urlOf('postgres'), database);
  } catch (error) {
    await stop();
    throw new Error(
      `PostgreSQL did not start: ${(error as Error).message}\n--- ${logFile} ---\n${tail(logFile)}`,
    );
  }
  return { url: urlOf(database), port, pid: child.pid, root, dataDir, passwordFile, logFile, exited, stop };
}

/** Fast shutdown of a (detached) server by its postmaster pid; SIGKILL after the grace period. */
export async function stopPostgresServer(pid: number, graceMs = 30_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
}

function initCluster(o: {
  binDir: string;
  osUser: OsUser | undefined;
  dataDir: string;
  passwordFile: string;
  user: string;
  throwaway: boolean;
}): void {
  const major = postgresMajorVersion(o.binDir);
  const versionFile = join(o.dataDir, 'PG_VERSION');
  if (existsSync(versionFile)) {
    const made = Number(readFileSync(versionFile, 'utf8').trim());
    const problem =
      made !== major
        ? `was made by PostgreSQL ${made}, the server is ${major}`
        : !existsSync(o.passwordFile)
          ? `has no password file (${o.passwordFile})`
          : undefined;
    if (!problem) return;
    if (!o.throwaway)
      throw new Error(`the database folder ${o.dataDir} ${problem}; move it away to start afresh`);
  }
  // No cluster yet, a half-made one (initdb interrupted), or a throwaway one that cannot be used.
  rmSync(o.dataDir, { recursive: true, force: true });
  rmSync(o.passwordFile, { force: true });
  // Written owner-only from the first byte ('wx' + 0600), then handed to the server's OS user.
  const fd = openSync(o.passwordFile, 'wx', 0o600);
  writeSync(fd, `${randomBytes(24).toString('base64url')}\n`);
  closeSync(fd);
  if (o.osUser) chownSync(o.passwordFile, o.osUser.uid, o.osUser.gid);
  // The builtin C.UTF-8 provider (PostgreSQL 17+) sorts and cases the same on every machine, with no
  // dependence on the OS's installed locales.
  const locale =
    major >= 17
      ? ['--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8']
      : ['--locale=C.UTF-8'];
  const args = [
    '-D',
    o.dataDir,
    '-U',
    o.user,
    '--auth=scram-sha-256',
    `--pwfile=${o.passwordFile}`,
    '-E',
    'UTF8',
    ...locale,
  ];
  if (o.throwaway) args.push('--no-sync');
  execFileSync(join(o.binDir, 'initdb'), args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
    ...(o.osUser ? { uid: o.osUser.uid, gid: o.osUser.gid } : {}),
  });
}

/**
 * A host killed with SIGKILL leaves its server running, re-parented to init; a new start takes the folder
 * back. A server whose parent is alive belongs to someone else and is left alone.
 */
async function stopOrphan(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  const ppid = parentPid(pid);
  if (ppid !== 1)
    throw new Error(
      `the database in ${dataDir} is in use by PostgreSQL pid ${pid} (parent ${ppid}); stop that first`,
    );
  await stopPostgresServer(pid);
}

function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

async function waitReady(url: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline && !gone) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      last = error;
      await sleep(100);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(
    gone ? 'the server exited' : `not ready after ${timeoutMs} ms: ${(last as Error)?.message}`,
  );
}

async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/**
 * Smart shutdown first (SIGTERM: no new sessions, the server exits when the last one ends), so clients
 * still closing their pools finish cleanly instead of being cut off with 57P01 — an unhandled error on an
 * idle pg pool client. Then fast shutdown, then SIGKILL.
 */
async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const escalate = [
    setTimeout(() => child.kill('SIGINT'), 5_000),
    setTimeout(() => child.kill('SIGKILL'), 35_000),
  ];
  child.kill('SIGTERM');
  await exited;
  escalate.forEach(clearTimeout);
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-25).join('\n') : '';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
