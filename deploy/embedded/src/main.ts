import './tracing';
import { join } from 'node:path';
import { loadAuditServiceConfig, startAuditService } from '@tagguard/audit-service';
import type { RunningGrpcService, ServiceRuntime } from '@tagguard/grpc-runtime';
import { InProcessTransport } from '@tagguard/messaging';
import { loadMuteServiceConfig, startMuteService } from '@tagguard/mute-service';
import { loadPermissionServiceConfig, startPermissionService } from '@tagguard/permission-service';
import { startPgliteServer } from '@tagguard/pglite-server';
import { loadSyncServiceConfig, startSyncService } from '@tagguard/sync-service';
import { loadTagServiceConfig, startTagService } from '@tagguard/tag-service';
import { stopTelemetry } from '@tagguard/telemetry';

// The embedded mode (README "run the system"): one process, no server to install. PGlite (PostgreSQL in
// WASM, persisted under .tagguard/embedded/) is served over the wire protocol so the services run the same
// pg/TypeORM code as in production; the in-process transport stands in for Kafka.
type Start = (
  env: Record<string, string | undefined>,
  runtime: ServiceRuntime,
) => Promise<RunningGrpcService>;

// Consumers first, producers last: a relay that publishes before a consumer group exists would checkpoint
// messages that only this process's memory holds (the in-process transport is not durable).
const services: [string, number, Start][] = [
  ['audit-service', 3, (env, rt) => startAuditService(loadAuditServiceConfig(env), rt)],
  ['permission-service', 1, (env, rt) => startPermissionService(loadPermissionServiceConfig(env), rt)],
  ['mute-service', 2, (env, rt) => startMuteService(loadMuteServiceConfig(env), rt)],
  ['sync-service', 4, (env, rt) => startSyncService(loadSyncServiceConfig(env), rt)],
  ['tag-service', 0, (env, rt) => startTagService(loadTagServiceConfig(env), rt)],
];

async function main(): Promise<void> {
  const basePort = Number(process.env['TAGGUARD_BASE_PORT'] ?? 50051);
  const host = process.env['GRPC_HOST'] ?? '127.0.0.1';
  const dataDir =
    process.env['TAGGUARD_EMBEDDED_DATA'] ?? join(process.cwd(), '.tagguard', 'embedded', 'pgdata');
  const database = await startPgliteServer({ dataDir });
  console.error(`[tagguard] embedded PostgreSQL (PGlite) at ${database.url}, data in ${dataDir}`);
  const events = new InProcessTransport();

  const running: RunningGrpcService[] = [];
  let stopping = false;
  const stopAll = async (reason: string, exitCode: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.error(`[tagguard] stopping all services (${reason})`);
    // Producers first (reverse start order), so nothing is published to a consumer that is gone.
    for (const service of [...running].reverse()) await service.stop(reason);
    await events.close();
    await database.stop();
    await stopTelemetry();
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stopAll('SIGINT', 0));
  process.on('SIGTERM', () => void stopAll('SIGTERM', 0));

  try {
    for (const [, offset, start] of services) {
      const env = {
        ...process.env,
        GRPC_HOST: host,
        GRPC_PORT: String(basePort + offset),
        DATABASE_URL: database.url,
        // PGlite has no LISTEN/NOTIFY across connections: subscriptions poll.
        EVENTSTORE_LISTEN: 'false',
        DATABASE_POOL_SIZE: '2',
      };
      running.push(await start(env, { events }));
    }
  } catch (error) {
    console.error(error);
    await stopAll('start failed', 1);
    return;
  }

  console.error('\n[tagguard] TagGuard is running (embedded: one process, PGlite, in-process events).');
  console.error('[tagguard] gRPC endpoints (health + reflection on each):');
  for (const [name, offset] of [...services].sort((a, b) => a[1] - b[1]))
    console.error(`  ${name.padEnd(20)} ${host}:${basePort + offset}`);
  console.error(
    '[tagguard] caller token (can write): TOKEN=$(bash deploy/local/tagguard.sh npm run -s token -- --tenant tenant-a --actor admin-1 --roles tenant_admin)',
  );
  console.error('[tagguard] Ctrl-C stops everything.\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
