import type { AttemptOutcome } from '../domain/retry-schedule';

/** One delivery as a sender sees it: the stable message id (webhook-id), what to say, and to whom. */
export type OutgoingMessage = {
  deliveryId: string;
  tenantId: string;
  /** The Standard Webhooks body (`{type, timestamp, data}`): the same bytes on every attempt. */
  payload: string;
  subject: string;
  text: string;
};

export interface DeliverySender<Config> {
  send(message: OutgoingMessage, config: Config, secret: string): Promise<AttemptOutcome>;
}
