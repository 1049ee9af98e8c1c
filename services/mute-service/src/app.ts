import { SERVICE_NAME } from './service-logger';
import {
  runGrpcService,
  workspaceVersion,
  type RunningGrpcService,
  type ServiceRuntime,
} from '@tagguard/grpc-runtime';
import type { MuteServiceConfig } from './config/mute-service.config';
import { Module } from '@nestjs/common';
import { AutomationView } from './automations/automation-view';
import { MuteServiceModule } from './mute-service.module';
import { loadFlowConfig } from './timers/flow.config';
import { MuteFlowModule } from './timers/flow.module';
import { ActiveUnmutes } from './unmute/active-unmutes';

/** The core (rules, decisions, copies, relay) and the flow features (holds, timers, unmutes, automations). */
@Module({})
class MuteServiceRoot {}

export type { MuteServiceConfig } from './config/mute-service.config';
export { loadMuteServiceConfig } from './config/mute-service.config';

/** Starts mute-service in this process: its own process (main.ts) or beside the others (embedded mode). */
export function startMuteService(
  config: MuteServiceConfig,
  runtime: ServiceRuntime = {},
): Promise<RunningGrpcService> {
  // The decision path reads these from memory; the flow module keeps them fresh.
  const seams = { unmutes: new ActiveUnmutes(), automation: new AutomationView() };
  return runGrpcService({
    name: SERVICE_NAME,
    version: workspaceVersion(),
    module: {
      module: MuteServiceRoot,
      imports: [
        MuteServiceModule.forRoot(config, runtime.events, seams.unmutes, seams.automation),
        MuteFlowModule.forRoot(config, loadFlowConfig(), seams, runtime.events),
      ],
    },
    packages: ['tagguard.mute.v1'],
    protoFiles: [
      'tagguard/mute/v1/rule_service.proto',
      'tagguard/mute/v1/decide_service.proto',
      'tagguard/mute/v1/flow_service.proto',
    ],
    healthServices: [
      'tagguard.mute.v1.RuleService',
      'tagguard.mute.v1.DecideService',
      'tagguard.mute.v1.UnmuteService',
      'tagguard.mute.v1.HoldService',
      'tagguard.mute.v1.AutomationService',
    ],
    host: config.grpcHost,
    port: config.grpcPort,
    tls: config.grpcTls,
    configWarnings: config.auth.warning ? [config.auth.warning] : [],
    ...runtime,
  });
}
