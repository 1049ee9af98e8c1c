import {
  runGrpcService,
  workspaceVersion,
  type RunningGrpcService,
  type ServiceRuntime,
} from '@tagguard/grpc-runtime';
import type { MuteServiceConfig } from './config/mute-service.config';
import { MuteServiceModule } from './mute-service.module';

export type { MuteServiceConfig } from './config/mute-service.config';
export { loadMuteServiceConfig } from './config/mute-service.config';

/** Starts mute-service in this process: its own process (main.ts) or beside the others (embedded mode). */
export function startMuteService(
  config: MuteServiceConfig,
  runtime: ServiceRuntime = {},
): Promise<RunningGrpcService> {
  return runGrpcService({
    name: 'mute-service',
    version: workspaceVersion(),
    module: MuteServiceModule.forRoot(config, runtime.events),
    packages: ['tagguard.mute.v1'],
    protoFiles: ['tagguard/mute/v1/rule_service.proto', 'tagguard/mute/v1/decide_service.proto'],
    healthServices: ['tagguard.mute.v1.RuleService', 'tagguard.mute.v1.DecideService'],
    host: config.grpcHost,
    port: config.grpcPort,
    tls: config.grpcTls,
    configWarnings: config.auth.warning ? [config.auth.warning] : [],
    ...runtime,
  });
}
