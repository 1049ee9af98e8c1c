import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Inbox, type IntegrationMessage } from '@tagguard/messaging';
import { incomingRecord, insertAuditRecords } from './audit-records.table';
import { AUDIT_SCHEMA } from './audit-trail.tokens';
import { AUDITED_TOPICS, parseAudited } from './audited-topics';
import { applyDirectoryEvent, departmentOf } from './directory-copy';

/** Consumer group `audit-service.audit-trail`: the purpose part is declared on the handler. */
export const AUDIT_TRAIL_GROUP = 'audit-service.audit-trail';

/**
 * Records every event of every audited topic exactly once: the inbox row, the audit record (with its
 * actor's department from the local directory copy) and its leaf in the tenant's Merkle tree commit
 * together, so a redelivered event never becomes a second leaf.
 */
@Controller()
export class AuditTrailEventsController {
  constructor(
    @Inject(Inbox) private readonly inbox: Inbox,
    @Inject(AUDIT_SCHEMA) private readonly schema: string,
  ) {}

  @EventPattern(AUDITED_TOPICS.map((t) => t.topic), { group: 'audit-trail' })
  async onAuditedEvent(@Payload() message: IntegrationMessage): Promise<void> {
    const subjectId = parseAudited(message.topic, message.type, message.data, message.key);
    await this.inbox.processOnce(AUDIT_TRAIL_GROUP, message.eventId, async (tx) => {
      await applyDirectoryEvent(tx, this.schema, message);
      const { tenantId, actorId } = message.metadata;
      const department = await departmentOf(tx, this.schema, tenantId, actorId);
      await insertAuditRecords(tx, this.schema, [incomingRecord(message, new Date(), department, subjectId)]);
    });
  }
}
