import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { parseTagIntegrationEventV1, TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import { Inbox, type IntegrationMessage } from '@tagguard/messaging';
import { incomingRecord, insertAuditRecords } from './audit-records.table';
import { AUDIT_SCHEMA } from './audit-trail.tokens';

/** Consumer group `audit-service.audit-trail`: the purpose part is declared on the handler. */
export const AUDIT_TRAIL_GROUP = 'audit-service.audit-trail';

/**
 * Records every tag event exactly once: the inbox row, the audit record and its leaf in the tenant's
 * Merkle tree commit together, so a redelivered event never becomes a second leaf.
 */
@Controller()
export class AuditTrailEventsController {
  constructor(
    @Inject(Inbox) private readonly inbox: Inbox,
    @Inject(AUDIT_SCHEMA) private readonly schema: string,
  ) {}

  @EventPattern(TAG_EVENTS_TOPIC_V1, { group: 'audit-trail' })
  async onTagEvent(@Payload() message: IntegrationMessage): Promise<void> {
    parseTagIntegrationEventV1(message.type, message.data);
    await this.inbox.processOnce(AUDIT_TRAIL_GROUP, message.eventId, async (tx) => {
      await insertAuditRecords(tx, this.schema, [incomingRecord(message)]);
    });
  }
}
