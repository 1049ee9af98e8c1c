import './tracing';
import { exitOnSignals, runGrpcService, workspaceVersion } from '@tagguard/grpc-runtime';
import { loadAuditServiceConfig } from './config/audit-service.config';
import { AuditServiceModule } from './audit-service.module';

async function main(): Promise<void> {
  const config = loadAuditServiceConfig();
  const service = await runGrpcService({
    name: 'audit-service',
    version: workspaceVersion(),
    module: AuditServiceModule.forRoot(config),
    packages: ['tagguard.audit.v1'],
    protoFiles: ['tagguard/audit/v1/audit_service.proto'],
    healthServices: ['tagguard.audit.v1.AuditService'],
    host: config.grpcHost,
    port: config.grpcPort,
  });
  exitOnSignals(service);
}

main().catch((error: unknown) => {
  console.error(
    JSON.stringify({
      level: 'fatal',
      service: 'audit-service',
      msg: error instanceof Error ? error.message : String(error),
    }),
  );
  process.exit(1);
});
