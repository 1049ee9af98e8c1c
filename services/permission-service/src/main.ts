import './tracing';
import { exitOnSignals, runGrpcService, workspaceVersion } from '@tagguard/grpc-runtime';
import { loadPermissionServiceConfig } from './config/permission-service.config';
import { PermissionServiceModule } from './permission-service.module';

async function main(): Promise<void> {
  const config = loadPermissionServiceConfig();
  const service = await runGrpcService({
    name: 'permission-service',
    version: workspaceVersion(),
    module: PermissionServiceModule,
    host: config.grpcHost,
    port: config.grpcPort,
  });
  exitOnSignals(service);
}

main().catch((error: unknown) => {
  console.error(
    JSON.stringify({
      level: 'fatal',
      service: 'permission-service',
      msg: error instanceof Error ? error.message : String(error),
    }),
  );
  process.exit(1);
});
