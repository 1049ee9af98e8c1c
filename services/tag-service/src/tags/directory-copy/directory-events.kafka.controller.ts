import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { DIRECTORY_EVENTS_TOPIC_V1, parseDirectoryIntegrationEventV1 } from '@tagguard/contracts';
import type { IntegrationMessage } from '@tagguard/messaging';
import { DepartedMembers } from './departed-members';
import { DirectoryCopy } from './directory-copy';
import { toCopyRow } from './domain/directory-copy.rows';

/** Consumer group `tag-service.directory-copy` (its health entry and lag in ListComponents). */
export const DIRECTORY_COPY_GROUP = 'directory-copy';

/**
 * Keeps tag-service's copy of the directory from sync-service's public directory events. A message that
 * does not validate fails here: the transport retries it, then dead-letters it and reports it parked on
 * this consumer's component (it never stops the consumer, and is never dropped silently).
 */
@Controller()
export class DirectoryEventsKafkaController {
  constructor(
    @Inject(DirectoryCopy) private readonly copy: DirectoryCopy,
    @Inject(DepartedMembers) private readonly departed: DepartedMembers,
  ) {}

  @EventPattern(DIRECTORY_EVENTS_TOPIC_V1, { group: DIRECTORY_COPY_GROUP })
  async onDirectoryEvent(@Payload() message: IntegrationMessage): Promise<void> {
    const event = parseDirectoryIntegrationEventV1(message.type, message.data);
    const row = toCopyRow(event);
    await this.copy.apply(row, new Date());
    if (row.kind === 'employee') await this.departed.settle(row.tenantId, row.objectId, message);
  }
}
