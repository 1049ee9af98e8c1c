import { Module, type DynamicModule } from '@nestjs/common';
import type { MessageTransport } from '@tagguard/messaging';
import type { SyncServiceConfig } from './config/sync-service.config';
import { DirectoryModule } from './directory/directory.module';
import { DownstreamModule } from './downstream/downstream.module';
import type { DownstreamConnectors } from './downstream/queue/channel-applier';
import { ConnectorGrpcController } from './wecom/connector.grpc.controller';
import { WeComModule } from './wecom/wecom.module';

/** Downstream directory sync (WeCom contacts, enterprise email), drift detection. */
@Module({})
export class SyncServiceModule {
  static forRoot(
    config: SyncServiceConfig,
    events?: MessageTransport,
    connectors: DownstreamConnectors = {},
  ): DynamicModule {
    return {
      module: SyncServiceModule,
      // Always there, so "the connector is off for this tenant" is an answer (it injects the connector optionally).
      controllers: [ConnectorGrpcController],
      imports: [
        DirectoryModule.forRoot(config, events),
        // Sources (connectors) follow, one line each; they inject DIRECTORY_INGEST (a global export).
        WeComModule.forRoot(config.wecom),
        DownstreamModule.forRoot(config, connectors, events),
      ],
    };
  }
}
