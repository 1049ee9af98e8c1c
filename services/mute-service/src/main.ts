import './tracing';
import { exitOnSignals, runGrpcService, workspaceVersion } from '@tagguard/grpc-runtime';
import { loadMuteServiceConfig } from './config/mute-service.config';
import { MuteServiceModule } from './mute-service.module';

async function main(): Promise<void> {
  const config = loadMuteServiceConfig();
  const service = await runGrpcService({
    name: 'mute-service',
    version: workspaceVersion(),
    module: MuteServiceModule,
    host: config.grpcHost,
    port: config.grpcPort,
  });
  exitOnSignals(service);
}

main().catch((error: unknown) => {
  console.error(
    JSON.stringify({
      level: 'fatal',
      service: 'mute-service',
      msg: error instanceof Error ? error.message : String(error),
    }),
  );
  process.exit(1);
});
