import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { WireMultiplexer } from './wire-multiplexer';

export interface PgliteServerOptions {
  /** Folder that keeps the database across restarts; in memory when omitted. */
  dataDir?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface PgliteServer {
  /** A postgres:// URL for pg, TypeORM and the event store, exactly as for a real server. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * PostgreSQL without a server process: PGlite (Postgres compiled to WASM) behind the wire protocol,
 * so the embedded mode runs the same pg/TypeORM code paths as the distributed one.
 */
export async function startPgliteServer(options: PgliteServerOptions = {}): Promise<PgliteServer> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  const host = options.host ?? '127.0.0.1';
  const server = new WireMultiplexer(db);
  const port = await server.listen(options.port ?? 0, host);
  return {
    url: `postgres://postgres@${host}:${port}/postgres`,
    port,
    async stop() {
      await server.close();
      await db.close();
    },
  };
}
