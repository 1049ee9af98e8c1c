import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { parseTagIntegrationEventV1, TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import type { Inbox, IntegrationMessage } from '@tagguard/messaging';
import { enqueueDeliveries } from './delivery-outbox';
import { requestsOf } from './domain/routing';
import { DIGEST_PERIOD_MS, NOTIFICATION_INBOX, NOTIFICATION_SCHEMA } from './notifications.tokens';

/** Consumer group `audit-service.notifications`. */
export const NOTIFICATIONS_GROUP = 'audit-service.notifications';

/**
 * Turns notification requests into outbox rows exactly once: the inbox row and the deliveries commit
 * together, so a redelivered event plans nothing twice; sending happens later, from the outbox.
 */
@Controller()
export class NotificationsEventsController {
  constructor(
    @Inject(NOTIFICATION_INBOX) private readonly inbox: Inbox,
    @Inject(NOTIFICATION_SCHEMA) private readonly schema: string,
    @Inject(DIGEST_PERIOD_MS) private readonly digestPeriodMs: number,
  ) {}

  @EventPattern(TAG_EVENTS_TOPIC_V1, { group: 'notifications' })
  async onTagEvent(@Payload() message: IntegrationMessage): Promise<void> {
    const event = parseTagIntegrationEventV1(message.type, message.data);
    const requests = requestsOf(event.type, event.data as Record<string, unknown>, {
      tenantId: message.metadata.tenantId,
      occurredAt: new Date(message.metadata.occurredAt).toISOString(),
    });
    if (!requests.length) return;
    await this.inbox.processOnce(NOTIFICATIONS_GROUP, message.eventId, async (tx) => {
      for (const request of requests)
        await enqueueDeliveries(tx, this.schema, request, Date.now(), this.digestPeriodMs);
    });
  }
}
