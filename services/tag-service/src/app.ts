import { SERVICE_NAME } from './service-logger';
import {
  runGrpcService,
  workspaceVersion,
  type RunningGrpcService,
  type ServiceRuntime,
} from '@tagguard/grpc-runtime';
import type { TagServiceConfig } from './config/tag-service.config';
import { TagServiceModule } from './tag-service.module';

export type { TagServiceConfig } from './config/tag-service.config';
export { loadTagServiceConfig } from './config/tag-service.config';

/** Starts tag-service in this process: its own process (main.ts) or beside the others (embedded mode). */
export function startTagService(
  config: TagServiceConfig,
  runtime: ServiceRuntime = {},
): Promise<RunningGrpcService> {
  return runGrpcService({
    name: SERVICE_NAME,
    version: workspaceVersion(),
    module: TagServiceModule.forRoot(config, runtime.events),
    packages: ['tagguard.tag.v1'],
    protoFiles: [
      'tagguard/tag/v1/tag_service.proto',
      'tagguard/tag/v1/member_service.proto',
      'tagguard/tag/v1/recycle_bin_service.proto',
      'tagguard/tag/v1/governance_service.proto',
      'tagguard/tag/v1/automation_service.proto',
      'tagguard/tag/v1/time_machine_service.proto',
    ],
    healthServices: [
      'tagguard.tag.v1.TagService',
      'tagguard.tag.v1.TagMemberService',
      'tagguard.tag.v1.RecycleBinService',
      'tagguard.tag.v1.TagGovernanceService',
      'tagguard.tag.v1.TagAutomationService',
      'tagguard.tag.v1.TimeMachineService',
    ],
    host: config.grpcHost,
    port: config.grpcPort,
    tls: config.grpcTls,
    configWarnings: config.auth.warning ? [config.auth.warning] : [],
    ...runtime,
  });
}
