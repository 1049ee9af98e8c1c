import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { quoteIdent } from '@tagguard/event-store';
import type { DigestItem } from './domain/digest';
import { route, type NotificationRequest } from './domain/routing';

export type OutboxItem = DigestItem & { operationId: string };

/**
 * Writes the deliveries a request plans, inside the caller's (the inbox's) transaction: one row per
 * channel that serves the target, at once or joined to the period's digest; with no such channel, one
 * dead row that says so, so the request is visible in ListNotifications rather than silently lost.
 */
export async function enqueueDeliveries(
  tx: PoolClient,
  schema: string,
  request: NotificationRequest,
  nowMs: number,
  digestPeriodMs: number,
): Promise<number> {
  const s = quoteIdent(schema);
  const { rows: channels } = await tx.query<{ channel_id: string; kind: string; targets: string[] }>(
    `SELECT channel_id, kind, targets FROM ${s}.notification_channels WHERE tenant_id = $1`,
    [request.tenantId],
  );
  const kindOf = new Map(channels.map((c) => [c.channel_id, c.kind]));
  const item: OutboxItem = {
    notificationId: request.notificationId,
    summary: request.summary,
    occurredAt: request.occurredAt,
    operationId: request.operationId,
  };
  const planned = route(
    request,
    channels.map((c) => ({ channelId: c.channel_id, targets: c.targets })),
    nowMs,
    digestPeriodMs,
  );
  const insert = `INSERT INTO ${s}.notification_deliveries (delivery_id, tenant_id, dedup_key, channel_id, channel_kind,
      target, level, items, window_start, status, last_error, next_attempt_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`;
  if (!planned.length) {
    await tx.query(`${insert} ON CONFLICT DO NOTHING`, [
      randomUUID(),
      request.tenantId,
      `n:${request.notificationId}:`,
      '',
      '',
      request.target,
      request.level,
      JSON.stringify([item]),
      null,
      'dead',
      `no channel of this tenant serves target ${request.target}`,
      null,
    ]);
    return 0;
  }
  for (const p of planned) {
    const kind = kindOf.get(p.channelId)!;
    if (p.mode === 'immediate') {
      await tx.query(`${insert} ON CONFLICT DO NOTHING`, [
        randomUUID(),
        request.tenantId,
        `n:${request.notificationId}:${p.channelId}`,
        p.channelId,
        kind,
        request.target,
        request.level,
        JSON.stringify([item]),
        null,
        'pending',
        '',
        new Date(nowMs),
      ]);
      continue;
    }
    // A digest takes new warnings until its first attempt; one arriving later starts the next period's.
    let plan = p;
    for (;;) {
      const joined = await tx.query(
        `${insert} ON CONFLICT (tenant_id, dedup_key) DO UPDATE
           SET items = notification_deliveries.items || EXCLUDED.items
           WHERE notification_deliveries.status = 'pending' AND notification_deliveries.attempts = 0
             AND notification_deliveries.claimed_until IS NULL
             AND NOT notification_deliveries.items @> EXCLUDED.items`,
        [
          randomUUID(),
          request.tenantId,
          plan.key,
          plan.channelId,
          kind,
          request.target,
          request.level,
          JSON.stringify([item]),
          new Date(plan.windowStartMs),
          'pending',
          '',
          new Date(plan.dueAtMs),
        ],
      );
      if (joined.rowCount) break;
      const { rows } = await tx.query<{ has: boolean }>(
        `SELECT items @> $3::jsonb AS has FROM ${s}.notification_deliveries WHERE tenant_id = $1 AND dedup_key = $2`,
        [request.tenantId, plan.key, JSON.stringify([item])],
      );
      if (rows[0]?.has) break;
      const [next] = route(
        request,
        [{ channelId: plan.channelId, targets: [request.target] }],
        plan.dueAtMs,
        digestPeriodMs,
      );
      if (next?.mode !== 'digest') break;
      plan = next;
    }
  }
  return planned.length;
}
