import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { parseTagIntegrationEventV1, TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import type { IntegrationMessage } from '@tagguard/messaging';
import { TagCopy } from './tag-copy';

/** Consumer group `sync-service.downstream-tags` (its health entry and lag in ListComponents). */
export const TAG_COPY_GROUP = 'downstream-tags';

/**
 * Keeps the local tag copy from tag-service's public tag events. A message that does not validate fails
 * here: the transport retries it, then dead-letters it and reports it parked on this consumer's component.
 */
@Controller()
export class TagEventsKafkaController {
  constructor(@Inject(TagCopy) private readonly copy: TagCopy) {}

  @EventPattern(TAG_EVENTS_TOPIC_V1, { group: TAG_COPY_GROUP })
  async onTagEvent(@Payload() message: IntegrationMessage): Promise<void> {
    await this.copy.apply(message.eventId, parseTagIntegrationEventV1(message.type, message.data));
  }
}
