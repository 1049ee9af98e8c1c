import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { quoteIdent } from '@tagguard/event-store';
import { insertAuditRecords } from '../audit-trail/audit-records.table';
import type { ChannelConfig } from './domain/channel';
import { renderDigest } from './domain/digest';
import { afterAttempt, type AttemptOutcome, type NextStep, type RetryPolicy } from './domain/retry-schedule';
import type { OutboxItem } from './delivery-outbox';
import type { EmailSender } from './senders/email.sender';
import type { OutgoingMessage } from './senders/sender.port';
import type { WebhookSender } from './senders/webhook.sender';
import type { WeComSender } from './senders/wecom.sender';

export const DELIVERY_ATTEMPTED_TYPE = 'audit.notification_delivery_attempted.v1';

type DueRow = {
  delivery_id: string;
  tenant_id: string;
  channel_id: string;
  channel_kind: string;
  target: string;
  level: string;
  items: OutboxItem[];
  window_start: Date | null;
  attempts: number;
  created_at: Date;
  claim_id: string;
};

export type DispatcherOptions = {
  pollMs: number;
  retry: RetryPolicy;
  digestPeriodMs: number;
  /** How long a claimed delivery is this instance's; a crashed instance's claims lapse after it. */
  leaseMs: number;
  batchSize: number;
};

export type Senders = { webhook: WebhookSender; email: EmailSender; wecom: WeComSender };

type Log = { warn(message: string): void; log(message: string): void };

/**
 * Works the outbox: claims due deliveries (FOR UPDATE SKIP LOCKED, with a lease), sends each through its
 * channel's sender, and records the attempt and what the retry schedule makes of it — together with an
 * audit record of the attempt, in one transaction, fenced by the claim so a lapsed lease cannot overwrite
 * another instance's result.
 */
export class NotificationDispatcher {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private readonly s: string;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly senders: Senders,
    private readonly options: DispatcherOptions,
    private readonly logger: Log,
  ) {
    this.s = quoteIdent(schema);
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.runOnce()
        .then(() => undefined)
        .catch((error: unknown) =>
          this.logger.warn(`notification dispatch failed: ${(error as Error).message}`),
        )
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.pollMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: every due delivery claimed is attempted once. Returns how many were attempted. */
  async runOnce(): Promise<number> {
    const { rows } = await this.pool.query<DueRow>(
      `WITH due AS (
         SELECT delivery_id FROM ${this.s}.notification_deliveries
         WHERE status IN ('pending', 'retrying') AND next_attempt_at <= now()
           AND (claimed_until IS NULL OR claimed_until < now())
         ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       UPDATE ${this.s}.notification_deliveries d
         SET claimed_until = now() + make_interval(secs => $2::double precision / 1000), claim_id = $3
       FROM due WHERE d.delivery_id = due.delivery_id
       RETURNING d.delivery_id::text, d.tenant_id, d.channel_id, d.channel_kind, d.target, d.level, d.items,
         d.window_start, d.attempts, d.created_at, d.claim_id::text`,
      [this.options.batchSize, this.options.leaseMs, randomUUID()],
    );
    await Promise.all(rows.map((row) => this.attempt(row)));
    return rows.length;
  }

  private async attempt(row: DueRow): Promise<void> {
    const { rows: channels } = await this.pool.query<{ config: ChannelConfig; secret: string }>(
      `SELECT config, secret FROM ${this.s}.notification_channels WHERE tenant_id = $1 AND channel_id = $2`,
      [row.tenant_id, row.channel_id],
    );
    const channel = channels[0];
    const outcome: AttemptOutcome = !channel
      ? { kind: 'permanent', error: `channel ${row.channel_id} was removed` }
      : await this.send(this.messageOf(row), channel.config, channel.secret);
    await this.record(
      row,
      row.attempts + 1,
      afterAttempt(this.options.retry, row.attempts + 1, outcome, Date.now()),
    );
  }

  private send(message: OutgoingMessage, config: ChannelConfig, secret: string): Promise<AttemptOutcome> {
    switch (config.kind) {
      case 'webhook':
        return this.senders.webhook.send(message, config, secret);
      case 'email':
        return this.senders.email.send(message, config);
      case 'wecom':
        return this.senders.wecom.send(message, config, secret);
      default: {
        const never: never = config;
        return never;
      }
    }
  }

  /** The message is a function of the stored row only: every attempt sends the same bytes. */
  private messageOf(row: DueRow): OutgoingMessage {
    const digest = row.window_start !== null;
    const startMs = row.window_start?.getTime() ?? 0;
    const { subject, text } = digest
      ? renderDigest(row.target, startMs, startMs + this.options.digestPeriodMs, row.items)
      : {
          subject: `TagGuard ${row.level}: ${row.items[0]?.summary ?? ''}`.slice(0, 200),
          text: row.items.map((i) => `${i.occurredAt} ${i.summary} (operation ${i.operationId})`).join('\n'),
        };
    const payload = JSON.stringify({
      type: digest ? 'tagguard.notification.digest.v1' : 'tagguard.notification.v1',
      timestamp: row.created_at.toISOString(),
      data: {
        tenant_id: row.tenant_id,
        delivery_id: row.delivery_id,
        target: row.target,
        level: row.level,
        ...(digest
          ? {
              period_start: new Date(startMs).toISOString(),
              period_end: new Date(startMs + this.options.digestPeriodMs).toISOString(),
            }
          : {}),
        notifications: row.items.map((i) => ({
          notification_id: i.notificationId,
          operation_id: i.operationId,
          summary: i.summary,
          occurred_at: i.occurredAt,
        })),
      },
    });
    return { deliveryId: row.delivery_id, tenantId: row.tenant_id, payload, subject, text };
  }

  private async record(row: DueRow, attempt: number, next: NextStep): Promise<void> {
    const tx = await this.pool.connect();
    try {
      await tx.query('BEGIN');
      const updated = await tx.query(
        `UPDATE ${this.s}.notification_deliveries SET attempts = $2, status = $3, detail = $4,
           last_error = CASE WHEN $3 = 'delivered' THEN last_error ELSE $4 END,
           next_attempt_at = $5, delivered_at = CASE WHEN $3 = 'delivered' THEN now() END, claimed_until = NULL, claim_id = NULL
         WHERE delivery_id = $1 AND claim_id = $6`,
        [
          row.delivery_id,
          attempt,
          next.status,
          next.status === 'delivered' ? next.detail : next.error,
          next.status === 'retrying' ? new Date(next.nextAttemptAtMs) : null,
          row.claim_id,
        ],
      );
      if (!updated.rowCount) {
        // Our lease lapsed and another instance took the delivery over: its result stands.
        await tx.query('ROLLBACK');
        this.logger.warn(`delivery ${row.delivery_id}: lease lapsed during attempt ${attempt}`);
        return;
      }
      const now = new Date().toISOString();
      await insertAuditRecords(tx, this.schema, [
        {
          eventId: randomUUID(),
          tenantId: row.tenant_id,
          eventType: DELIVERY_ATTEMPTED_TYPE,
          actorId: 'audit-service',
          subjectId: row.delivery_id,
          correlationId: row.items[0]?.operationId ?? '',
          occurredAt: now,
          recordedAt: now,
          data: {
            deliveryId: row.delivery_id,
            channelId: row.channel_id,
            channelKind: row.channel_kind,
            target: row.target,
            level: row.level,
            notificationIds: row.items.map((i) => i.notificationId),
            attempt,
            status: next.status,
            detail: next.status === 'delivered' ? next.detail : next.error,
          },
        },
      ]);
      await tx.query('COMMIT');
      if (next.status === 'dead') this.logger.warn(`delivery ${row.delivery_id} is dead: ${next.error}`);
    } catch (error) {
      await tx.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      tx.release();
    }
  }
}
