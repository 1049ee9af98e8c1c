import { Module } from '@nestjs/common';

/** per-message notify / silent / digest decisions from nestable mute rules. */
@Module({})
export class MuteServiceModule {}
