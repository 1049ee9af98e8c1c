import { parseTagIntegrationEventV1, TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import { Inbox, ResilientConsumer, type IntegrationMessage } from '@tagguard/messaging';
import { Kafka, logLevel } from 'kafkajs';
import type { Pool } from 'pg';
import { insertAuditRecord } from './audit-records.table';

export const AUDIT_TRAIL_GROUP = 'audit-service.audit-trail';

/** Records every tag event exactly once: the inbox row and the audit record commit together. */
export async function startAuditTrailConsumer(
  pool: Pool,
  schema: string,
  brokers: string[],
  sessionTimeoutMs: number,
): Promise<ResilientConsumer> {
  const inbox = await Inbox.create(pool, schema);
  const kafka = new Kafka({ clientId: 'audit-service', brokers, logLevel: logLevel.ERROR });
  return ResilientConsumer.start({
    kafka,
    groupId: AUDIT_TRAIL_GROUP,
    topics: [TAG_EVENTS_TOPIC_V1],
    sessionTimeoutMs,
    handle: async (message: IntegrationMessage) => {
      parseTagIntegrationEventV1(message.type, message.data);
      await inbox.processOnce(AUDIT_TRAIL_GROUP, message.eventId, (tx) =>
        insertAuditRecord(tx, schema, message),
      );
    },
  });
}
