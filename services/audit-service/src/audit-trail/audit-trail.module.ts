import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TokenVerifier } from '@tagguard/auth';
import { denialRecorderProvider } from '@tagguard/grpc-runtime';
import { AuditAccessGuard } from './audit-access';
import { AuditDenialRecorder } from './audit-denials';
import { Inbox } from '@tagguard/messaging';
import { Pool } from 'pg';
import type { AuditServiceConfig } from '../config/audit-service.config';
import { createAuditRecordsTable } from './audit-records.table';
import { createDirectoryCopyTable } from './directory-copy';
import { backfillLeaves } from './leaf-backfill';
import { AUDIT_SCHEMA, TREE_HEAD_KEY } from './audit-trail.tokens';
import { TreeHeads } from './tree-heads';
import { AuditTrailEventsController } from './audit-trail.events.controller';
import { AuditGrpcController } from './audit.grpc.controller';
import { ReportStore } from '../reports/report-store';
import { ReportsGrpcController } from '../reports/reports.grpc.controller';
import { serviceLogger } from '../service-logger';

class AuditTrailLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(Pool) private readonly pool: Pool,
    @Inject(TreeHeads) private readonly heads: TreeHeads,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.heads.stop();
    await this.pool.end();
  }
}

@Module({})
export class AuditTrailModule {
  static forRoot(config: AuditServiceConfig): DynamicModule {
    return {
      module: AuditTrailModule,
      controllers: [AuditGrpcController, AuditTrailEventsController, ReportsGrpcController],
      providers: [
        { provide: AUDIT_SCHEMA, useValue: config.databaseSchema },
        {
          provide: Pool,
          useFactory: async () => {
            const pool = new Pool({ connectionString: config.databaseUrl, max: 5 });
            // A broken idle connection is dropped by the pool and replaced on the next query; unheard, it
            // would crash the process (seen: 57P01 when the embedded database restarted).
            pool.on('error', (error) =>
              serviceLogger('AuditTrail').warn(`an idle database connection broke: ${error.message}`),
            );
            await createAuditRecordsTable(pool, config.databaseSchema);
            await createDirectoryCopyTable(pool, config.databaseSchema);
            const placed = await backfillLeaves(pool, config.databaseSchema);
            await new ReportStore(pool, config.databaseSchema).ensureIndexes();
            if (placed > 0)
              serviceLogger('AuditTrail').log(`${placed} records written before the tree became leaves`);
            return pool;
          },
        },
        {
          provide: Inbox,
          useFactory: (pool: Pool) => Inbox.create(pool, config.databaseSchema),
          inject: [Pool],
        },
        { provide: TokenVerifier, useFactory: () => new TokenVerifier(config.auth.pem) },
        { provide: TREE_HEAD_KEY, useValue: config.treeHeadKey },
        {
          provide: TreeHeads,
          useFactory: (pool: Pool) => {
            const logger = serviceLogger('TreeHeads');
            const heads = new TreeHeads(
              pool,
              config.databaseSchema,
              config.treeHeadKey,
              config.witnessUrls,
              logger,
            );
            heads.start(config.treeHeadIntervalMs);
            return heads;
          },
          inject: [Pool],
        },
        AuditTrailLifecycle,
        { provide: APP_GUARD, useClass: AuditAccessGuard },
        denialRecorderProvider(
          (pool: Pool, verifier: TokenVerifier) =>
            new AuditDenialRecorder(pool, config.databaseSchema, verifier),
          [Pool, TokenVerifier],
        ),
      ],
    };
  }
}
