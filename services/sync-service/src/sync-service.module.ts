import { Module, type DynamicModule } from '@nestjs/common';
import type { SyncServiceConfig } from './config/sync-service.config';
import { WeComModule } from './wecom/wecom.module';

/** downstream directory sync (WeCom contacts, enterprise email), drift detection. */
@Module({})
export class SyncServiceModule {
  static forRoot(config: SyncServiceConfig): DynamicModule {
    return { module: SyncServiceModule, imports: [WeComModule.forRoot(config.wecom)] };
  }
}
