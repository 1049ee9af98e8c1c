import { Module, type DynamicModule } from '@nestjs/common';
import { AuditTrailModule } from './audit-trail/audit-trail.module';
import type { AuditServiceConfig } from './config/audit-service.config';
import { NotificationsModule } from './notifications/notifications.module';

/** Tamper-evident trail, risk alerts, operation reports. */
@Module({})
export class AuditServiceModule {
  static forRoot(config: AuditServiceConfig): DynamicModule {
    return { module: AuditServiceModule, imports: [AuditTrailModule.forRoot(config), NotificationsModule.forRoot(config)] };
  }
}
