import './tracing';
import { exitOnSignals, runGrpcService, workspaceVersion } from '@tagguard/grpc-runtime';
import { loadSyncServiceConfig } from './config/sync-service.config';
import { SyncServiceModule } from './sync-service.module';

async function main(): Promise<void> {
  const config = loadSyncServiceConfig();
  const service = await runGrpcService({
    name: 'sync-service',
    version: workspaceVersion(),
    module: SyncServiceModule,
    host: config.grpcHost,
    port: config.grpcPort,
  });
  exitOnSignals(service);
}

main().catch((error: unknown) => {
  console.error(
    JSON.stringify({
      level: 'fatal',
      service: 'sync-service',
      msg: error instanceof Error ? error.message : String(error),
    }),
  );
  process.exit(1);
});
