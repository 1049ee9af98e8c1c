import { Module } from '@nestjs/common';

/** tags, tag groups, members, visibility, recycle bin, approvals, time machine. */
@Module({})
export class TagServiceModule {}
