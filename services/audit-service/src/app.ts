import {
  runGrpcService,
  workspaceVersion,
  type RunningGrpcService,
  type ServiceRuntime,
} from '@tagguard/grpc-runtime';
import type { AuditServiceConfig } from './config/audit-service.config';
import { AuditServiceModule } from './audit-service.module';

export type { AuditServiceConfig } from './config/audit-service.config';
export { loadAuditServiceConfig } from './config/audit-service.config';

/** Starts audit-service in this process: its own process (main.ts) or beside the others (embedded mode). */
export function startAuditService(
  config: AuditServiceConfig,
  runtime: ServiceRuntime = {},
): Promise<RunningGrpcService> {
  return runGrpcService({
    name: 'audit-service',
    version: workspaceVersion(),
    module: AuditServiceModule.forRoot(config),
    packages: ['tagguard.audit.v1'],
    protoFiles: ['tagguard/audit/v1/audit_service.proto'],
    healthServices: ['tagguard.audit.v1.AuditService'],
    host: config.grpcHost,
    port: config.grpcPort,
    tls: config.grpcTls,
    configWarnings: [config.auth.warning, config.treeHeadKey.warning].filter((w) => w !== undefined),
    ...runtime,
  });
}
