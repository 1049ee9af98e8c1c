import { Module } from '@nestjs/common';

/** tamper-evident trail, risk alerts, operation reports. */
@Module({})
export class AuditServiceModule {}
