import { Module, type DynamicModule } from '@nestjs/common';
import type { MessageTransport } from '@tagguard/messaging';
import { AnalysisGrpcController } from './analysis/analysis.grpc.controller';
import type { PermissionServiceConfig } from './config/permission-service.config';
import { PolicyModule } from './policy/policy.module';

/**
 * Roles, permission groups, the ordered permission tree, sensitive words and freezes (PolicyService), and
 * the four-level decisions over them (CheckService). Further gRPC services of this service (e.g. the
 * conflict analysis) add their controllers here and inject PolicyModule's exports.
 */
@Module({})
export class PermissionServiceModule {
  static forRoot(config: PermissionServiceConfig, events?: MessageTransport): DynamicModule {
    return {
      module: PermissionServiceModule,
      controllers: [AnalysisGrpcController],
      imports: [PolicyModule.forRoot(config, events)],
    };
  }
}
