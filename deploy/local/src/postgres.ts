import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { stateId, stateDir } from './paths';
import { freePort } from '@tagguard/testing';
import { isAlive, readPid, removeFile, stopProcessGroup, waitUntil } from './processes';

export interface PostgresEndpoint {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
}

const USER = 'tagguard';
const DATABASE = 'tagguard';

/** initdb/pg_ctl from PATH, else the newest Debian cluster binaries. */
export function findPostgresBinDir(): string {
  const override = process.env['TAGGUARD_PG_BIN'];
  if (override) return override;
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((v) => existsSync(join(debianRoot, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(debianRoot, versions[0], 'bin');
  }
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl) not found. Install them (Debian: apt-get install postgresql) or set TAGGUARD_PG_BIN.',
  );
}

// PostgreSQL refuses to run as root; as root we run the cluster as the OS user "postgres".
function runAsUser(): string | undefined {
  if (userInfo().uid !== 0) return undefined;
  return process.env['TAGGUARD_PG_OS_USER'] ?? 'postgres';
}

function osUserIds(user: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', user]).toString().trim());
  return { uid, gid };
}

function canAccessAs(user: string, dir: string): boolean {
  try {
    execFileSync('runuser', ['-u', user, '--', 'test', '-w', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The cluster lives under the project-local state dir; when that path is not reachable by the OS user
 * the server runs as (a clone in a private temp dir, say), it falls back to a per-state-dir folder in /var/tmp.
 */
function dataRoot(): string {
  const preferred = join(stateDir, 'postgres');
  const user = runAsUser();
  if (!user) return preferred;
  mkdirSync(preferred, { recursive: true });
  const { uid, gid } = osUserIds(user);
  chownSync(preferred, uid, gid);
  if (canAccessAs(user, preferred)) return preferred;
  const fallback = join('/var/tmp', `tagguard-${stateId}`, 'postgres');
  mkdirSync(fallback, { recursive: true });
  chownSync(join('/var/tmp', `tagguard-${stateId}`), uid, gid);
  chownSync(fallback, uid, gid);
  return fallback;
}

function run(binDir: string, tool: string, args: string[]): string {
  const user = runAsUser();
  const [cmd, argv] = user
    ? ['runuser', ['-u', user, '--', join(binDir, tool), ...args]]
    : [join(binDir, tool), args];
  return execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

export function postgresUrl(port: number): string {
  return `postgres://${USER}@127.0.0.1:${port}/${DATABASE}`;
}

export async function startPostgres(): Promise<PostgresEndpoint> {
  const binDir = findPostgresBinDir();
  const root = dataRoot();
  const dataDir = join(root, 'data');
  const logFile = join(stateDir, 'postgres.log');
  const socketDir = root;

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    run(binDir, 'initdb', [
      '-D',
      dataDir,
      '-U',
      USER,
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ]);
  }
  const port = await freePort();
  // The server writes its own log into the data root (writable by its OS user); we link to it from stateDir.
  const serverLog = join(root, 'server.log');
  run(binDir, 'pg_ctl', [
    'start',
    '-D',
    dataDir,
    '-l',
    serverLog,
    '-w',
    '-t',
    '60',
    '-o',
    `-p ${port} -c listen_addresses=127.0.0.1 -k ${socketDir} -c fsync=off -c max_connections=200`,
  ]);
  removeFile(logFile);
  writeFileSync(logFile, `server log: ${serverLog}\n`);
  const pid = readPid(join(dataDir, 'postmaster.pid'));
  if (!pid) throw new Error(`PostgreSQL started but ${dataDir}/postmaster.pid is missing`);

  const adminUrl = `postgres://${USER}@127.0.0.1:${port}/postgres`;
  await waitUntil('PostgreSQL', () => query(adminUrl, 'SELECT 1'), { timeoutMs: 30_000, logFile: serverLog });
  const exists = await query(adminUrl, `SELECT 1 FROM pg_database WHERE datname = '${DATABASE}'`);
  if (exists.length === 0) await query(adminUrl, `CREATE DATABASE ${DATABASE}`);
  return { url: postgresUrl(port), port, pid, dataDir };
}

export async function stopPostgres(endpoint: Pick<PostgresEndpoint, 'dataDir' | 'pid'>): Promise<void> {
  if (!isAlive(endpoint.pid)) return;
  try {
    run(findPostgresBinDir(), 'pg_ctl', ['stop', '-D', endpoint.dataDir, '-m', 'fast', '-w', '-t', '30']);
  } catch {
    await stopProcessGroup(endpoint.pid);
  }
}

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}
