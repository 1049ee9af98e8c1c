import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgresServer, stopPostgresServer } from '@tagguard/postgres-server';
import { stateDir } from './paths';
import { removeFile } from './processes';

export interface PostgresEndpoint {
  /** Carries the generated password (this throwaway cluster asks for one like the embedded database). */
  url: string;
  port: number;
  pid: number;
  dataDir: string;
}

/**
 * The tests' PostgreSQL: the same npm-shipped server as the embedded mode (TAGGUARD_PG_BIN overrides the
 * binaries), detached so it outlives this CLI, on loopback with a password. A throwaway: fsync off, and a
 * cluster it cannot use (older major, no password file) is made again.
 */
export async function startPostgres(): Promise<PostgresEndpoint> {
  const server = await startPostgresServer({
    root: join(stateDir, 'postgres'),
    detached: true,
    throwaway: true,
    settings: { fsync: 'off', max_connections: '200' },
  });
  const logFile = join(stateDir, 'postgres.log');
  removeFile(logFile);
  writeFileSync(logFile, `server log: ${server.logFile}\n`);
  return { url: server.url, port: server.port, pid: server.pid, dataDir: server.dataDir };
}

export async function stopPostgres(endpoint: Pick<PostgresEndpoint, 'pid'>): Promise<void> {
  await stopPostgresServer(endpoint.pid);
}
