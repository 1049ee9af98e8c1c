import { Module, type DynamicModule } from '@nestjs/common';
import type { MessageTransport } from '@tagguard/messaging';
import type { TagServiceConfig } from './config/tag-service.config';
import { TagsModule } from './tags/tags.module';

/** Tags, tag groups, members, visibility, recycle bin, approvals, time machine. */
@Module({})
export class TagServiceModule {
  static forRoot(config: TagServiceConfig, events?: MessageTransport): DynamicModule {
    return { module: TagServiceModule, imports: [TagsModule.forRoot(config, events)] };
  }
}
