import { SERVICE_NAME } from './service-logger';
import {
  runGrpcService,
  workspaceVersion,
  type RunningGrpcService,
  type ServiceRuntime,
} from '@tagguard/grpc-runtime';
import type { SyncServiceConfig } from './config/sync-service.config';
import type { DownstreamConnectors } from './downstream/queue/channel-applier';
import { SyncServiceModule } from './sync-service.module';

export type { SyncServiceConfig } from './config/sync-service.config';
export { loadSyncServiceConfig } from './config/sync-service.config';
export { openDirectoryImport, type DirectoryImport } from './directory/directory-import';
export type { DownstreamConnectors, DownstreamConnectorFactory } from './downstream/queue/channel-applier';
export { downstreamConnectors } from './downstream/connectors';
// The LDAP connector on its own, for the ldap-resync benchmark (deploy/bench).
export { LdapDirectory, type LdapDirectoryOptions } from './downstream/ldap';
export type { DownstreamAccount, DownstreamGroup } from './downstream/port/downstream-directory.port';

/** Starts sync-service in this process: its own process (main.ts) or beside the others (embedded mode). */
export function startSyncService(
  config: SyncServiceConfig,
  runtime: ServiceRuntime = {},
  /** The downstream connectors this process offers (D73); none unless configured. */
  connectors: DownstreamConnectors = {},
): Promise<RunningGrpcService> {
  return runGrpcService({
    name: SERVICE_NAME,
    version: workspaceVersion(),
    module: SyncServiceModule.forRoot(config, runtime.events, connectors),
    packages: ['tagguard.sync.v1'],
    protoFiles: [
      'tagguard/sync/v1/directory_service.proto',
      'tagguard/sync/v1/connector_service.proto',
      'tagguard/sync/v1/downstream_service.proto',
    ],
    healthServices: [
      'tagguard.sync.v1.DirectoryService',
      'tagguard.sync.v1.ConnectorService',
      'tagguard.sync.v1.DownstreamService',
    ],
    host: config.grpcHost,
    port: config.grpcPort,
    tls: config.grpcTls,
    configWarnings: config.auth.warning ? [config.auth.warning] : [],
    ...runtime,
  });
}
