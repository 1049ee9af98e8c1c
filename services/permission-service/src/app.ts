import { SERVICE_NAME } from './service-logger';
import {
  runGrpcService,
  workspaceVersion,
  type RunningGrpcService,
  type ServiceRuntime,
} from '@tagguard/grpc-runtime';
import type { PermissionServiceConfig } from './config/permission-service.config';
import { PermissionServiceModule } from './permission-service.module';

export type { PermissionServiceConfig } from './config/permission-service.config';
export { loadPermissionServiceConfig } from './config/permission-service.config';

/** Starts permission-service in this process: its own process (main.ts) or beside the others (embedded mode). */
export function startPermissionService(
  config: PermissionServiceConfig,
  runtime: ServiceRuntime = {},
): Promise<RunningGrpcService> {
  return runGrpcService({
    name: SERVICE_NAME,
    version: workspaceVersion(),
    module: PermissionServiceModule.forRoot(config, runtime.events),
    packages: ['tagguard.permission.v1'],
    protoFiles: [
      'tagguard/permission/v1/policy_service.proto',
      'tagguard/permission/v1/check_service.proto',
      'tagguard/permission/v1/analysis_service.proto',
    ],
    healthServices: [
      'tagguard.permission.v1.PolicyService',
      'tagguard.permission.v1.CheckService',
      'tagguard.permission.v1.AnalysisService',
    ],
    host: config.grpcHost,
    port: config.grpcPort,
    tls: config.grpcTls,
    configWarnings: config.auth.warning ? [config.auth.warning] : [],
    ...runtime,
  });
}
