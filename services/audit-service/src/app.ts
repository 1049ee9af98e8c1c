import { SERVICE_NAME } from './service-logger';
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
    name: SERVICE_NAME,
    version: workspaceVersion(),
    module: AuditServiceModule.forRoot(config),
    packages: ['tagguard.audit.v1'],
    protoFiles: [
      'tagguard/audit/v1/audit_service.proto',
      'tagguard/audit/v1/notification_service.proto',
      'tagguard/audit/v1/report_service.proto',
    ],
    healthServices: [
      'tagguard.audit.v1.AuditService',
      'tagguard.audit.v1.NotificationService',
      'tagguard.audit.v1.ReportService',
    ],
    host: config.grpcHost,
    port: config.grpcPort,
    tls: config.grpcTls,
    configWarnings: [config.auth.warning, config.treeHeadKey.warning].filter((w) => w !== undefined),
    ...runtime,
  });
}

// The log's storage and tree as audit-service writes them, for the benchmark (deploy/bench) and tools.
export {
  canonicalOf,
  createAuditRecordsTable,
  incomingRecord,
  insertAuditRecords,
  type IncomingRecord,
} from './audit-trail/audit-records.table';
export { AuditLogReader, leafBytesOfRow } from './audit-trail/audit-log.reader';
export { ReportStore } from './reports/report-store';
export { canonicalRecordBytes } from './audit-trail/tree/canonical-record';
export { appendLeaves, leafHash, rootOfFrontier } from './audit-trail/tree/rfc9162';
export { verifyInclusion, verifyConsistency } from './audit-trail/tree/rfc9162.verify';
