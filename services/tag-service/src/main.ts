import './tracing';
import { exitOnSignals, runGrpcService, workspaceVersion } from '@tagguard/grpc-runtime';
import { loadTagServiceConfig } from './config/tag-service.config';
import { TagServiceModule } from './tag-service.module';

async function main(): Promise<void> {
  const config = loadTagServiceConfig();
  const service = await runGrpcService({
    name: 'tag-service',
    version: workspaceVersion(),
    module: TagServiceModule.forRoot(config),
    packages: ['tagguard.tag.v1'],
    protoFiles: ['tagguard/tag/v1/tag_service.proto'],
    healthServices: ['tagguard.tag.v1.TagService'],
    host: config.grpcHost,
    port: config.grpcPort,
  });
  exitOnSignals(service);
}

main().catch((error: unknown) => {
  console.error(
    JSON.stringify({
      level: 'fatal',
      service: 'tag-service',
      msg: error instanceof Error ? error.message : String(error),
    }),
  );
  process.exit(1);
});
