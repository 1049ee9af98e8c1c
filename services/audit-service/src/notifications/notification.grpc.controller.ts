import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { authenticate, TokenVerifier } from '@tagguard/auth';
import { auditNotificationV1 as v1 } from '@tagguard/contracts';
import { quoteIdent } from '@tagguard/event-store';
import type { Pool } from 'pg';
import { authorizeTrailReader } from '../audit-trail/audit-access';
import { ChannelWriter, type ChannelChangeBy, type StoredChannel } from './channel-writer';
import type { ChannelInput } from './domain/channel';
import { NotificationError } from './domain/notification.errors';
import type { OutboxItem } from './delivery-outbox';
import { NOTIFICATION_POOL, NOTIFICATION_SCHEMA } from './notifications.tokens';

const STATUS_OF: Record<string, v1.DeliveryStatus> = {
  pending: v1.DeliveryStatus.DELIVERY_STATUS_PENDING,
  delivered: v1.DeliveryStatus.DELIVERY_STATUS_DELIVERED,
  retrying: v1.DeliveryStatus.DELIVERY_STATUS_RETRYING,
  dead: v1.DeliveryStatus.DELIVERY_STATUS_DEAD,
};
const STATUS_NAME = new Map(Object.entries(STATUS_OF).map(([k, v]) => [v, k]));

type DeliveryRow = {
  delivery_id: string;
  channel_id: string;
  channel_kind: string;
  target: string;
  level: string;
  items: OutboxItem[];
  status: string;
  attempts: number;
  last_error: string;
  detail: string;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
};

const revisionOf = (value: string, field: string): number => {
  const n = Number(value || '0');
  if (!Number.isSafeInteger(n) || n < 0)
    throw new NotificationError('NOTIFICATION.INVALID_ARGUMENT', 'must be a non-negative integer', field);
  return n;
};

/** Writing channels is the tenant admin's; reading them and the deliveries is every trail reader's. */
function authorizeChannelAdmin(metadata: Metadata | undefined, verifier: TokenVerifier) {
  const principal = authenticate(metadata, verifier);
  if (!principal.roles.includes('tenant_admin'))
    throw new NotificationError(
      'NOTIFICATION.PERMISSION_DENIED',
      'configuring notification channels needs the role tenant_admin',
      'authorization.roles',
    );
  return principal;
}

function inputOf(channel: v1.Channel | undefined): ChannelInput {
  if (!channel) throw new NotificationError('NOTIFICATION.INVALID_ARGUMENT', 'is required', 'channel');
  const base = { channelId: channel.channelId, targets: channel.targets };
  if (channel.webhook) return { ...base, config: { kind: 'webhook', url: channel.webhook.url } };
  if (channel.email) return { ...base, config: { kind: 'email', recipients: channel.email.recipients } };
  if (channel.wecom)
    return {
      ...base,
      config: {
        kind: 'wecom',
        corpId: channel.wecom.corpId,
        agentId: Number(channel.wecom.agentId),
        toUser: channel.wecom.toUser,
        toParty: channel.wecom.toParty,
      },
      ...(channel.wecom.secret ? { wecomSecret: channel.wecom.secret } : {}),
    };
  throw new NotificationError(
    'NOTIFICATION.INVALID_ARGUMENT',
    'one of webhook, email, wecom is required',
    'channel.webhook',
  );
}

function toChannel(c: StoredChannel): v1.Channel {
  const base = { channelId: c.channelId, targets: c.targets, revision: String(c.revision) };
  switch (c.config.kind) {
    case 'webhook':
      return { ...base, webhook: { url: c.config.url } };
    case 'email':
      return { ...base, email: { recipients: c.config.recipients } };
    case 'wecom':
      return {
        ...base,
        wecom: {
          corpId: c.config.corpId,
          agentId: String(c.config.agentId),
          secret: '',
          toUser: c.config.toUser,
          toParty: c.config.toParty,
        },
      };
  }
}

/** The caller's trace id (traceparent) ties the change to what it did; without one the change is its own. */
const changeBy = (actorId: string, metadata?: Metadata): ChannelChangeBy => {
  const traceparent = metadata?.get('traceparent')[0];
  const traceId =
    typeof traceparent === 'string' ? /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(traceparent)?.[1] : undefined;
  return { actorId, correlationId: traceId ?? randomUUID() };
};

const iso = (d: Date | null) => (d ? d.toISOString() : '');

@Controller()
@v1.NotificationServiceControllerMethods()
export class NotificationGrpcController implements v1.NotificationServiceController {
  private readonly channels: ChannelWriter;

  constructor(
    @Inject(NOTIFICATION_POOL) private readonly pool: Pool,
    @Inject(NOTIFICATION_SCHEMA) private readonly schema: string,
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
  ) {
    this.channels = new ChannelWriter(pool, schema);
  }

  async putChannel(request: v1.PutChannelRequest, metadata?: Metadata): Promise<v1.PutChannelResponse> {
    const { tenantId, actorId } = authorizeChannelAdmin(metadata, this.verifier);
    const { channel, createdSecret } = await this.channels.put(
      tenantId,
      inputOf(request.channel),
      revisionOf(request.expectedRevision, 'expected_revision'),
      changeBy(actorId, metadata),
    );
    return { channel: toChannel(channel), webhookSecret: createdSecret ?? '' };
  }

  async removeChannel(
    request: v1.RemoveChannelRequest,
    metadata?: Metadata,
  ): Promise<v1.RemoveChannelResponse> {
    const { tenantId, actorId } = authorizeChannelAdmin(metadata, this.verifier);
    await this.channels.remove(
      tenantId,
      request.channelId,
      revisionOf(request.expectedRevision, 'expected_revision'),
      changeBy(actorId, metadata),
    );
    return {};
  }

  async listChannels(
    _request: v1.ListChannelsRequest,
    metadata?: Metadata,
  ): Promise<v1.ListChannelsResponse> {
    const { tenantId } = authorizeTrailReader(metadata, this.verifier);
    return { channels: (await this.channels.list(tenantId)).map(toChannel) };
  }

  async listNotifications(
    request: v1.ListNotificationsRequest,
    metadata?: Metadata,
  ): Promise<v1.ListNotificationsResponse> {
    const { tenantId } = authorizeTrailReader(metadata, this.verifier);
    const pageSize = request.pageSize === 0 ? 100 : request.pageSize;
    if (pageSize < 1 || pageSize > 500)
      throw new NotificationError('NOTIFICATION.INVALID_ARGUMENT', 'must be between 0 and 500', 'page_size');
    const status =
      request.status === v1.DeliveryStatus.DELIVERY_STATUS_UNSPECIFIED ? '' : STATUS_NAME.get(request.status);
    if (status === undefined)
      throw new NotificationError('NOTIFICATION.INVALID_ARGUMENT', 'is no delivery status', 'status');
    // Newest first; the token is the last row's (created_at, delivery_id), so paging is stable under inserts.
    let after: [string, string] | undefined;
    if (request.pageToken) {
      const [at, id] = Buffer.from(request.pageToken, 'base64url').toString().split('|');
      if (!at || !id || Number.isNaN(Date.parse(at)))
        throw new NotificationError(
          'NOTIFICATION.INVALID_ARGUMENT',
          'is not a token returned by ListNotifications',
          'page_token',
        );
      after = [at, id];
    }
    const { rows } = await this.pool.query<DeliveryRow & { created_text: string }>(
      `SELECT delivery_id::text, channel_id, channel_kind, target, level, items, status, attempts, last_error, detail,
         next_attempt_at, delivered_at, created_at, created_at::text AS created_text
       FROM ${quoteIdent(this.schema)}.notification_deliveries
       WHERE tenant_id = $1 AND ($2 = '' OR channel_id = $2) AND ($3 = '' OR status = $3)
         AND ($4::timestamptz IS NULL OR (created_at, delivery_id) < ($4::timestamptz, $5::uuid))
       ORDER BY created_at DESC, delivery_id DESC LIMIT $6`,
      [tenantId, request.channelId, status, after?.[0] ?? null, after?.[1] ?? null, pageSize + 1],
    );
    const page = rows.slice(0, pageSize);
    const last = page[page.length - 1];
    return {
      deliveries: page.map((r) => ({
        deliveryId: r.delivery_id,
        channelId: r.channel_id,
        channelKind: r.channel_kind,
        target: r.target,
        level: r.level,
        notificationIds: r.items.map((i) => i.notificationId),
        summary: r.items.length === 1 ? r.items[0]!.summary : `${r.items.length} notifications`,
        status: STATUS_OF[r.status] ?? v1.DeliveryStatus.DELIVERY_STATUS_UNSPECIFIED,
        attempts: r.attempts,
        lastError: r.last_error,
        detail: r.detail,
        nextAttemptAt: iso(r.next_attempt_at),
        deliveredAt: iso(r.delivered_at),
        createdAt: r.created_at.toISOString(),
      })),
      nextPageToken:
        rows.length > pageSize && last
          ? Buffer.from(`${last.created_text}|${last.delivery_id}`).toString('base64url')
          : '',
    };
  }
}
