import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  DIRECTORY_EVENTS_TOPIC_V1,
  parseDirectoryIntegrationEventV1,
  parseTagIntegrationEventV1,
  TAG_EVENTS_TOPIC_V1,
} from '@tagguard/contracts';
import type { IntegrationMessage } from '@tagguard/messaging';
import { directoryChangeOf, tagChangeOf } from './copy-rows';
import { LocalCopies } from './local-copies';

/** Consumer groups `mute-service.directory-copy` and `mute-service.tag-copy` (health, lag). */
export const DIRECTORY_COPY_GROUP = 'directory-copy';
export const TAG_COPY_GROUP = 'tag-copy';

/**
 * Keeps the local copies from sync-service's directory events and tag-service's tag events. Every apply is
 * guarded by the source's revision, so a redelivery changes nothing. A message that does not validate fails
 * here: the transport retries it, then dead-letters it and reports it parked on the consumer's component.
 */
@Controller()
export class CopyEventsKafkaController {
  constructor(@Inject(LocalCopies) private readonly copies: LocalCopies) {}

  @EventPattern(DIRECTORY_EVENTS_TOPIC_V1, { group: DIRECTORY_COPY_GROUP })
  async onDirectoryEvent(@Payload() message: IntegrationMessage): Promise<void> {
    const change = directoryChangeOf(parseDirectoryIntegrationEventV1(message.type, message.data));
    if (change) await this.copies.applyDirectory(change);
  }

  @EventPattern(TAG_EVENTS_TOPIC_V1, { group: TAG_COPY_GROUP })
  async onTagEvent(@Payload() message: IntegrationMessage): Promise<void> {
    await this.copies.applyTag(tagChangeOf(parseTagIntegrationEventV1(message.type, message.data)));
  }
}
