import { BaseRpcContext } from '@nestjs/microservices';
import type { IntegrationMessage } from '../message';

/** What an @EventPattern handler gets from @Ctx(): the message and the consumer group handling it. */
export class EventContext extends BaseRpcContext<[IntegrationMessage, string]> {
  get message(): IntegrationMessage {
    return this.args[0];
  }

  get groupId(): string {
    return this.args[1];
  }
}
