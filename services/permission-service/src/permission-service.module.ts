import { Module } from '@nestjs/common';

/** four-level permission checks, overlays, freezes, conflict detection. */
@Module({})
export class PermissionServiceModule {}
