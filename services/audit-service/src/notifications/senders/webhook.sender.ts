import { Webhook } from 'standardwebhooks';
import type { AttemptOutcome } from '../domain/retry-schedule';
import type { DeliverySender, OutgoingMessage } from './sender.port';

/**
 * Standard Webhooks 1.0: POST the payload with webhook-id (the delivery id: the same on every retry, so
 * receivers deduplicate), webhook-timestamp (this attempt) and webhook-signature (`v1,<HMAC-SHA256>`).
 * 2xx is delivered; 410 Gone is permanent (the spec's "disable the endpoint"); anything else is retried.
 */
export class WebhookSender implements DeliverySender<{ url: string }> {
  constructor(private readonly timeoutMs = 10_000) {}

  async send(message: OutgoingMessage, config: { url: string }, secret: string): Promise<AttemptOutcome> {
    const timestamp = new Date();
    const signature = new Webhook(secret).sign(message.deliveryId, timestamp, message.payload);
    let response: Response;
    try {
      response = await fetch(config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': message.deliveryId,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body: message.payload,
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'manual',
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return { kind: 'transient', error: `POST ${config.url}: ${cause ?? (error as Error).message}` };
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300)
      return { kind: 'delivered', detail: `HTTP ${response.status}` };
    if (response.status === 410) return { kind: 'permanent', error: `HTTP 410 from ${config.url}` };
    return { kind: 'transient', error: `HTTP ${response.status} from ${config.url}` };
  }
}
