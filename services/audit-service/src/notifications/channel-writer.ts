import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { quoteIdent } from '@tagguard/event-store';
import { insertAuditRecords } from '../audit-trail/audit-records.table';
import { departmentOf } from '../audit-trail/directory-copy';
import { validateChannel, type ChannelConfig, type ChannelInput } from './domain/channel';
import { NotificationError } from './domain/notification.errors';

export type StoredChannel = {
  tenantId: string;
  channelId: string;
  targets: string[];
  config: ChannelConfig;
  secret: string;
  revision: number;
};

type ChannelRow = {
  tenant_id: string;
  channel_id: string;
  targets: string[];
  config: ChannelConfig;
  secret: string;
  revision: string;
};

const toChannel = (r: ChannelRow): StoredChannel => ({
  tenantId: r.tenant_id,
  channelId: r.channel_id,
  targets: r.targets,
  config: r.config,
  secret: r.secret,
  revision: Number(r.revision),
});

/** The trail record of a channel change (written by audit-service itself, with the channel row). */
export const CHANNEL_CHANGED_TYPE = 'audit.notification_channel_changed.v1';

/** Who changed a channel: the trail records it with the change. */
export type ChannelChangeBy = { actorId: string; correlationId: string };

/** A Standard Webhooks secret: "whsec_" + base64 of 32 random bytes (the spec asks for 24–64). */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * The one write path of notification_channels: validate, then insert (expected revision 0) or update
 * where the stored revision is the expected one; anything else is WRONG_EXPECTED_REVISION (ABORTED).
 * Each accepted change is recorded in the tenant's trail in the same transaction as the row (never the
 * secret): audit-service's own changes reach the trail the way its own denials do (D103).
 */
export class ChannelWriter {
  private readonly table: string;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {
    this.table = `${quoteIdent(schema)}.notification_channels`;
  }

  async put(
    tenantId: string,
    input: ChannelInput,
    expectedRevision: number,
    by: ChannelChangeBy,
  ): Promise<{ channel: StoredChannel; createdSecret?: string }> {
    validateChannel(input, expectedRevision === 0);
    return this.inTransaction(async (tx) => {
      const put = await this.write(tx, tenantId, input, expectedRevision);
      const c = put.channel;
      await this.record(tx, tenantId, c.channelId, by, {
        channelId: c.channelId,
        targets: c.targets,
        config: c.config,
        revision: c.revision,
        removed: false,
      });
      return put;
    });
  }

  private async write(
    tx: PoolClient,
    tenantId: string,
    input: ChannelInput,
    expectedRevision: number,
  ): Promise<{ channel: StoredChannel; createdSecret?: string }> {
    if (expectedRevision === 0) {
      const secret = input.config.kind === 'webhook' ? newWebhookSecret() : (input.wecomSecret ?? '');
      const { rows } = await tx.query<ChannelRow>(
        `INSERT INTO ${this.table} (tenant_id, channel_id, kind, targets, config, secret, revision)
         VALUES ($1, $2, $3, $4, $5, $6, 1) ON CONFLICT DO NOTHING RETURNING *`,
        [tenantId, input.channelId, input.config.kind, input.targets, input.config, secret],
      );
      if (!rows[0])
        throw new NotificationError(
          'NOTIFICATION.WRONG_EXPECTED_REVISION',
          `channel ${input.channelId} exists: pass its revision to replace it`,
          'expected_revision',
        );
      return {
        channel: toChannel(rows[0]),
        ...(input.config.kind === 'webhook' ? { createdSecret: secret } : {}),
      };
    }
    // A webhook keeps its secret (receivers hold it); a WeCom channel keeps it unless a new one is given;
    // a channel that becomes a webhook gets a new one, answered like at creation.
    const fresh = input.config.kind === 'webhook' ? newWebhookSecret() : '';
    const { rows } = await tx.query<ChannelRow>(
      `UPDATE ${this.table} SET kind = $3, targets = $4, config = $5, revision = revision + 1, updated_at = now(),
         secret = CASE WHEN $3 = 'wecom' AND $7 <> '' THEN $7 WHEN kind = $3 THEN secret ELSE $8 END
       WHERE tenant_id = $1 AND channel_id = $2 AND revision = $6 RETURNING *`,
      [
        tenantId,
        input.channelId,
        input.config.kind,
        input.targets,
        input.config,
        expectedRevision,
        input.wecomSecret ?? '',
        fresh,
      ],
    );
    if (!rows[0]) throw await this.conflict(tenantId, input.channelId, expectedRevision);
    return {
      channel: toChannel(rows[0]),
      ...(fresh && rows[0].secret === fresh ? { createdSecret: fresh } : {}),
    };
  }

  async remove(
    tenantId: string,
    channelId: string,
    expectedRevision: number,
    by: ChannelChangeBy,
  ): Promise<void> {
    await this.inTransaction(async (tx) => {
      const { rowCount } = await tx.query(
        `DELETE FROM ${this.table} WHERE tenant_id = $1 AND channel_id = $2 AND revision = $3`,
        [tenantId, channelId, expectedRevision],
      );
      if (!rowCount) throw await this.conflict(tenantId, channelId, expectedRevision);
      await this.record(tx, tenantId, channelId, by, {
        channelId,
        revision: expectedRevision,
        removed: true,
      });
    });
  }

  private async record(
    tx: PoolClient,
    tenantId: string,
    channelId: string,
    by: ChannelChangeBy,
    data: Record<string, unknown>,
  ): Promise<void> {
    const now = new Date().toISOString();
    await insertAuditRecords(tx, this.schema, [
      {
        eventId: randomUUID(),
        tenantId,
        eventType: CHANNEL_CHANGED_TYPE,
        actorId: by.actorId,
        actorDepartmentId: await departmentOf(tx, this.schema, tenantId, by.actorId),
        subjectId: `${tenantId}/notification-channel/${channelId}`,
        correlationId: by.correlationId,
        occurredAt: now,
        recordedAt: now,
        data: { tenantId, ...data },
      },
    ]);
  }

  private async inTransaction<T>(work: (tx: PoolClient) => Promise<T>): Promise<T> {
    const tx = await this.pool.connect();
    try {
      await tx.query('BEGIN');
      const result = await work(tx);
      await tx.query('COMMIT');
      return result;
    } catch (error) {
      await tx.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      tx.release();
    }
  }

  async list(tenantId: string): Promise<StoredChannel[]> {
    const { rows } = await this.pool.query<ChannelRow>(
      `SELECT * FROM ${this.table} WHERE tenant_id = $1 ORDER BY channel_id`,
      [tenantId],
    );
    return rows.map(toChannel);
  }

  async get(tenantId: string, channelId: string): Promise<StoredChannel | undefined> {
    const { rows } = await this.pool.query<ChannelRow>(
      `SELECT * FROM ${this.table} WHERE tenant_id = $1 AND channel_id = $2`,
      [tenantId, channelId],
    );
    return rows[0] && toChannel(rows[0]);
  }

  private async conflict(tenantId: string, channelId: string, expected: number): Promise<NotificationError> {
    const current = await this.get(tenantId, channelId);
    return current
      ? new NotificationError(
          'NOTIFICATION.WRONG_EXPECTED_REVISION',
          `channel ${channelId} is at revision ${current.revision}, not ${expected}`,
          'expected_revision',
        )
      : new NotificationError('NOTIFICATION.NOT_FOUND', `no channel ${channelId}`, 'channel_id');
  }
}
