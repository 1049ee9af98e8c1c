import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { PERMISSION_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import type { IntegrationMessage } from '@tagguard/messaging';
import { toPolicyRow } from './domain/policy-copy.rows';
import { PolicyCopy } from './policy-copy';

/** Consumer group `tag-service.policy-copy` (its health entry and lag in ListComponents). */
export const POLICY_COPY_GROUP = 'policy-copy';

/**
 * Keeps tag-service's copy of the permission policy from permission-service's public events. A message
 * that does not validate fails here: the transport retries it, then dead-letters it
 * (`tag-service.policy-copy.dlt`) and reports it parked on this consumer's component.
 */
@Controller()
export class PolicyEventsKafkaController {
  constructor(@Inject(PolicyCopy) private readonly copy: PolicyCopy) {}

  @EventPattern(PERMISSION_EVENTS_TOPIC_V1, { group: POLICY_COPY_GROUP })
  async onPolicyEvent(@Payload() message: IntegrationMessage): Promise<void> {
    await this.copy.apply(toPolicyRow(message.type, message.data));
  }
}
