import { createTransport, type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { AttemptOutcome } from '../domain/retry-schedule';
import type { DeliverySender, OutgoingMessage } from './sender.port';

/**
 * E-mail through the service's SMTP relay (AUDIT_SMTP_URL). A 5xx reply rejecting the message is
 * permanent; connection errors, timeouts and 4xx are retried. Message-ID carries the delivery id, so a
 * retried mail is recognisably the same one.
 */
export class EmailSender implements DeliverySender<{ recipients: string[] }> {
  private readonly transport?: Transporter<SMTPTransport.SentMessageInfo>;

  constructor(
    smtpUrl: string | undefined,
    private readonly from: string,
  ) {
    const options: SMTPTransport.Options = {
      url: smtpUrl,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    };
    this.transport = smtpUrl ? createTransport(options) : undefined;
  }

  async send(message: OutgoingMessage, config: { recipients: string[] }): Promise<AttemptOutcome> {
    if (!this.transport) return { kind: 'transient', error: 'AUDIT_SMTP_URL is not set: no SMTP relay' };
    try {
      const info = await this.transport.sendMail({
        from: this.from,
        to: config.recipients,
        subject: message.subject,
        text: message.text,
        messageId: `<${message.deliveryId}@tagguard.audit>`,
        headers: { 'X-TagGuard-Delivery-Id': message.deliveryId },
      });
      const rejected = (info.rejected ?? []).map(String);
      return {
        kind: 'delivered',
        detail: rejected.length ? `rejected: ${rejected.join(', ')}` : info.response,
      };
    } catch (error) {
      const e = error as Error & { responseCode?: number; code?: string };
      const text = `SMTP ${e.code ?? ''}${e.responseCode ? ` ${e.responseCode}` : ''}: ${e.message}`.trim();
      return e.responseCode && e.responseCode >= 500
        ? { kind: 'permanent', error: text }
        : { kind: 'transient', error: text };
    }
  }

  close(): void {
    this.transport?.close();
  }
}
