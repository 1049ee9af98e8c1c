import { Inject, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { loadPublicKey, TokenVerifier } from '@tagguard/auth';
import type { ResilientConsumer } from '@tagguard/messaging';
import { Pool } from 'pg';
import type { AuditServiceConfig } from '../config/audit-service.config';
import { createAuditRecordsTable } from './audit-records.table';
import { startAuditTrailConsumer } from './audit-trail.consumer';
import { AUDIT_CONSUMER, AUDIT_SCHEMA } from './audit-trail.tokens';
import { AuditGrpcController } from './audit.grpc.controller';

class AuditTrailLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(AUDIT_CONSUMER) private readonly consumer: ResilientConsumer | undefined,
    @Inject(Pool) private readonly pool: Pool,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
    await this.pool.end();
  }
}

@Module({})
export class AuditTrailModule {
  static forRoot(config: AuditServiceConfig): DynamicModule {
    return {
      module: AuditTrailModule,
      controllers: [AuditGrpcController],
      providers: [
        { provide: AUDIT_SCHEMA, useValue: config.databaseSchema },
        {
          provide: Pool,
          useFactory: async () => {
            const pool = new Pool({ connectionString: config.databaseUrl, max: 5 });
            await createAuditRecordsTable(pool, config.databaseSchema);
            return pool;
          },
        },
        {
          provide: AUDIT_CONSUMER,
          useFactory: (pool: Pool) => {
            if (config.kafkaBrokers.length === 0) {
              new Logger('AuditTrail').warn(
                'KAFKA_BROKERS is not set: no events are consumed, the trail does not grow',
              );
              return undefined;
            }
            return startAuditTrailConsumer(
              pool,
              config.databaseSchema,
              config.kafkaBrokers,
              config.kafkaSessionTimeoutMs,
            );
          },
          inject: [Pool],
        },
        { provide: TokenVerifier, useFactory: () => new TokenVerifier(loadPublicKey().pem) },
        AuditTrailLifecycle,
      ],
    };
  }
}
