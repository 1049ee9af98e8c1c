import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { TokenVerifier } from '@tagguard/auth';
import { quoteIdent } from '@tagguard/event-store';
import { Inbox } from '@tagguard/messaging';
import { Pool } from 'pg';
import type { AuditServiceConfig } from '../config/audit-service.config';
import { createNotificationTables } from './notification-tables';
import { NotificationDispatcher } from './notification-dispatcher';
import { NotificationGrpcController } from './notification.grpc.controller';
import { NotificationsEventsController } from './notifications.events.controller';
import {
  DIGEST_PERIOD_MS,
  NOTIFICATION_INBOX,
  NOTIFICATION_POOL,
  NOTIFICATION_SCHEMA,
} from './notifications.tokens';
import { EmailSender } from './senders/email.sender';
import { WebhookSender } from './senders/webhook.sender';
import { WeComSender } from './senders/wecom.sender';
import { serviceLogger } from '../service-logger';

// The audit trail's module creates the schema and the inbox table during the same start; two sessions
// running CREATE … IF NOT EXISTS for one name at once fail on the catalog's unique index. So this module
// waits until the trail's inbox exists, then creates only its own tables (its inbox is then a no-op).
async function afterTrailTables(pool: Pool, schema: string, run: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 30_000;
  const inbox = `${quoteIdent(schema)}.inbox`;
  while (Date.now() < deadline) {
    const { rows } = await pool.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [inbox]);
    if (rows[0]?.t) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await run();
}

class NotificationsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(NOTIFICATION_POOL) private readonly pool: Pool,
    @Inject(NotificationDispatcher) private readonly dispatcher: NotificationDispatcher,
    @Inject(EmailSender) private readonly email: EmailSender,
  ) {}

  // After every module's tables exist: each attempt also writes an audit record.
  onApplicationBootstrap(): void {
    this.dispatcher.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.stop();
    this.email.close();
    await this.pool.end();
  }
}

/** Notification delivery (issue 14 item 3): channel configuration, the outbox, its dispatcher, ListNotifications. */
@Module({})
export class NotificationsModule {
  static forRoot(config: AuditServiceConfig): DynamicModule {
    const n = config.notifications;
    return {
      module: NotificationsModule,
      controllers: [NotificationGrpcController, NotificationsEventsController],
      providers: [
        { provide: NOTIFICATION_SCHEMA, useValue: config.databaseSchema },
        { provide: DIGEST_PERIOD_MS, useValue: n.digestPeriodMs },
        {
          provide: NOTIFICATION_POOL,
          useFactory: async () => {
            const pool = new Pool({ connectionString: config.databaseUrl, max: 4 });
            pool.on('error', (error) =>
              serviceLogger('Notifications').warn(`an idle database connection broke: ${error.message}`),
            );
            await afterTrailTables(pool, config.databaseSchema, () =>
              createNotificationTables(pool, config.databaseSchema),
            );
            return pool;
          },
        },
        {
          provide: NOTIFICATION_INBOX,
          useFactory: async (pool: Pool) => {
            return Inbox.create(pool, config.databaseSchema);
          },
          inject: [NOTIFICATION_POOL],
        },
        { provide: TokenVerifier, useFactory: () => new TokenVerifier(config.auth.pem) },
        { provide: EmailSender, useFactory: () => new EmailSender(n.smtpUrl, n.smtpFrom) },
        {
          provide: NotificationDispatcher,
          useFactory: (pool: Pool, email: EmailSender) =>
            new NotificationDispatcher(
              pool,
              config.databaseSchema,
              { webhook: new WebhookSender(), email, wecom: new WeComSender(n.wecomApiUrl) },
              {
                pollMs: n.pollMs,
                retry: { maxAttempts: n.maxAttempts, baseDelayMs: n.retryBaseMs, maxDelayMs: n.retryMaxMs },
                digestPeriodMs: n.digestPeriodMs,
                leaseMs: 60_000,
                batchSize: 20,
              },
              serviceLogger('NotificationDispatcher'),
            ),
          inject: [NOTIFICATION_POOL, EmailSender],
        },
        NotificationsLifecycle,
      ],
    };
  }
}
