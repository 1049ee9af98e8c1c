import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startPgliteServer } from '@tagguard/pglite-server';
import { stateDir, workspaceRoot } from './paths';

// The embedded mode: one PGlite database (PostgreSQL in WASM, persisted under .tagguard/embedded/) served
// over the wire protocol, and the five services from their builds in dist/, one process each. Prints the
// endpoints; Ctrl-C (or any service dying) stops everything, services first.
const services = ['tag-service', 'permission-service', 'mute-service', 'audit-service', 'sync-service'];
const basePort = Number(process.env['TAGGUARD_BASE_PORT'] ?? 50051);
const host = process.env['GRPC_HOST'] ?? '127.0.0.1';

interface Running {
  name: string;
  port: number;
  child: ChildProcess;
  started: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function main(): Promise<void> {
  const dataDir = process.env['TAGGUARD_EMBEDDED_DATA'] ?? join(stateDir, '..', 'embedded', 'pgdata');
  const database = await startPgliteServer({ dataDir });
  console.error(`[tagguard] embedded PostgreSQL (PGlite) at ${database.url}, data in ${dataDir}`);

  const running: Running[] = services.map((name, index) => {
    const main = join(workspaceRoot, 'dist', name, 'services', name, 'src', 'main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx nx run-many -t build)`);
    const port = basePort + index;
    const child = spawn(process.execPath, ['--enable-source-maps', main], {
      env: {
        ...process.env,
        GRPC_HOST: host,
        GRPC_PORT: String(port),
        DATABASE_URL: database.url,
        EVENTSTORE_LISTEN: 'false',
        DATABASE_POOL_SIZE: '2',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const started = new Promise<void>((resolve) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        process.stdout.write(`${line}\n`);
        if (line.includes('"event":"service.started"')) resolve();
      });
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    return { name, port, child, started, exited };
  });

  let stopping = false;
  const stopAll = async (reason: string, exitCode: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.error(`[tagguard] stopping all services (${reason})`);
    for (const { child } of running)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.all(running.map((r) => r.exited));
    await database.stop();
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stopAll('SIGINT', 0));
  process.on('SIGTERM', () => void stopAll('SIGTERM', 0));
  for (const r of running) {
    void r.exited.then(({ code, signal }) => {
      if (!stopping) void stopAll(`${r.name} exited (code ${code}, signal ${signal})`, 1);
    });
  }

  await Promise.all(running.map((r) => r.started));
  console.error('\n[tagguard] TagGuard is running. gRPC endpoints (health + reflection on each):');
  for (const r of running) console.error(`  ${r.name.padEnd(20)} ${host}:${r.port}`);
  console.error(
    '[tagguard] caller token: bash deploy/local/tagguard.sh npm run -s token -- --tenant tenant-a --actor admin-1',
  );
  console.error('[tagguard] Ctrl-C stops everything.\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
