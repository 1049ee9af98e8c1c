import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { MUTE_COMMERCE_EVENTS_TOPIC_V1, parseMuteCommerceEventV1 } from '@tagguard/contracts';
import { Inbox, type IntegrationMessage } from '@tagguard/messaging';
import { StoreVisitAutomation } from '../store-visit-automation';

/** Consumer group `mute-service.commerce`. */
export const COMMERCE_GROUP = 'commerce';

/**
 * Store visits and purchases from MUTE_COMMERCE_EVENTS_TOPIC_V1: each message once (the inbox records its event
 * id in the transaction of its effect), each fact once (visitId / purchaseId, in the decider). A message that
 * does not validate is retried, then dead-lettered with the field named; nothing is written.
 */
@Controller()
export class CommerceEventsKafkaController {
  constructor(
    @Inject(StoreVisitAutomation) private readonly automation: StoreVisitAutomation,
    @Inject(Inbox) private readonly inbox: Inbox,
  ) {}

  @EventPattern(MUTE_COMMERCE_EVENTS_TOPIC_V1, { group: COMMERCE_GROUP })
  async onFact(@Payload() message: IntegrationMessage): Promise<void> {
    const fact = parseMuteCommerceEventV1(message.type, message.data);
    await this.inbox.processOnce(`mute-service.${COMMERCE_GROUP}`, message.eventId, async (tx) => {
      await this.automation.onCommerceEvent(fact, tx);
    });
  }
}
