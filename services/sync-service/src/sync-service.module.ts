import { Module } from '@nestjs/common';

/** downstream directory sync (WeCom contacts, enterprise email), drift detection. */
@Module({})
export class SyncServiceModule {}
