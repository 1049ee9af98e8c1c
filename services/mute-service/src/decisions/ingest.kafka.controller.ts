import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { MUTE_MESSAGES_TOPIC_V1, parseMuteMessageV1 } from '@tagguard/contracts';
import type { IntegrationMessage } from '@tagguard/messaging';
import { MessageDecisions } from './message-decisions';

/** Consumer group `mute-service.ingest`. */
export const INGEST_GROUP = 'ingest';

/**
 * Messages to decide from MUTE_MESSAGES_TOPIC_V1: decided and recorded like a gRPC Decide (once per
 * message id, so a redelivery writes nothing and delivers nothing twice). A message that does not validate
 * is retried, then dead-lettered and reported parked on the consumer's component; nothing is recorded.
 */
@Controller()
export class IngestKafkaController {
  constructor(@Inject(MessageDecisions) private readonly decisions: MessageDecisions) {}

  @EventPattern(MUTE_MESSAGES_TOPIC_V1, { group: INGEST_GROUP })
  async onMessage(@Payload() message: IntegrationMessage): Promise<void> {
    const m = parseMuteMessageV1(message.type, message.data);
    await this.decisions.decide(
      { ...m, sentAt: Date.parse(m.sentAt) },
      {
        tenantId: m.tenantId,
        actorId: message.metadata.actorId || 'mute-service.ingest',
        ...(message.metadata.correlationId ? { correlationId: message.metadata.correlationId } : {}),
      },
    );
  }
}
