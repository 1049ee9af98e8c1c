import { randomUUID } from 'node:crypto';
import type { TemporaryUnmute } from '@tagguard/mute-engine';
import type { Pool, PoolClient } from 'pg';
import { MUTE_EVENTS_TOPIC_V1 as MUTE_FLOW_EVENTS_TOPIC } from '@tagguard/contracts';
import type { Outbox } from '../timers/outbox';
import { createTables, inTransaction, table, type Sql } from '../timers/sql';
import type { DueTimer, TimerStore } from '../timers/timer-store';
import {
  decideUnmute,
  evolveUnmute,
  initialUnmuteState,
  unmuteReport,
  type PassedMessage,
  type UnmuteCommand,
  type UnmuteEvent,
  type UnmuteReport,
  type UnmuteState,
} from './domain/unmute.decider';
import { FlowError } from './domain/unmute.errors';

export const UNMUTE_END_TIMER = 'unmute.end';

export type UnmuteView = {
  unmuteId: string;
  tenantId: string;
  tagId: string;
  tagName: string;
  actorId: string;
  startsAt: number;
  endsAt: number;
  status: 'active' | 'ended';
  endedAt: number | null;
  endedBy: string | null;
  passedCount: number;
};

type Row = {
  tenant_id: string;
  unmute_id: string;
  tag_id: string;
  tag_name: string;
  actor_id: string;
  starts_ms: string;
  ends_ms: string;
  ended_ms: string | null;
  ended_by: string | null;
  reason: 'expired' | 'stopped' | null;
  report: UnmuteReport | null;
  passed: number;
};

/**
 * Temporary unmutes (issue 13 item 4, D100): the one-click "unmute this tag for N hours". Its state is a row
 * changed only through the decider; its end is a durable timer (timers/), so it ends after a restart too; the
 * end writes the operation report and publishes it (outbox → mute-service's public events topic, for the audit
 * trail) in the transaction that ends it. The decision path records each message the unmute let through.
 */
export class UnmuteStore {
  private constructor(
    private readonly pool: Pool,
    private readonly unmutes: string,
    private readonly passes: string,
    private readonly timers: TimerStore,
    private readonly outbox: Outbox,
  ) {}

  static async create(pool: Pool, schema: string, timers: TimerStore, outbox: Outbox): Promise<UnmuteStore> {
    const unmutes = table(schema, 'mute_unmutes');
    const passes = table(schema, 'mute_unmute_passes');
    await createTables(pool, schema, 'mute-unmutes', [
      `CREATE TABLE IF NOT EXISTS ${unmutes} (
        tenant_id text NOT NULL, unmute_id text NOT NULL, tag_id text NOT NULL, tag_name text NOT NULL,
        actor_id text NOT NULL, starts_at timestamptz NOT NULL, ends_at timestamptz NOT NULL,
        ended_at timestamptz, ended_by text, reason text, report jsonb, PRIMARY KEY (tenant_id, unmute_id))`,
      `CREATE INDEX IF NOT EXISTS mute_unmutes_active ON ${unmutes} (tenant_id, ends_at) WHERE ended_at IS NULL`,
      `CREATE TABLE IF NOT EXISTS ${passes} (
        tenant_id text NOT NULL, unmute_id text NOT NULL, message_id text NOT NULL, recipient_id text NOT NULL,
        sender text NOT NULL, sender_corp_id text, sent_at timestamptz NOT NULL, otherwise text,
        PRIMARY KEY (tenant_id, unmute_id, message_id))`,
    ]);
    return new UnmuteStore(pool, unmutes, passes, timers, outbox);
  }

  private select(where: string): string {
    return `SELECT u.tenant_id, u.unmute_id, u.tag_id, u.tag_name, u.actor_id,
        (extract(epoch FROM u.starts_at) * 1000)::bigint AS starts_ms, (extract(epoch FROM u.ends_at) * 1000)::bigint AS ends_ms,
        (extract(epoch FROM u.ended_at) * 1000)::bigint AS ended_ms, u.ended_by, u.reason, u.report,
        (SELECT count(*)::int FROM ${this.passes} p WHERE p.tenant_id = u.tenant_id AND p.unmute_id = u.unmute_id) AS passed
      FROM ${this.unmutes} u WHERE ${where}`;
  }

  private static state(r: Row | undefined): UnmuteState {
    if (!r) return initialUnmuteState;
    const started: UnmuteEvent = {
      type: 'TemporaryUnmuteStarted',
      unmuteId: r.unmute_id,
      tenantId: r.tenant_id,
      tagId: r.tag_id,
      tagName: r.tag_name,
      actorId: r.actor_id,
      startsAt: Number(r.starts_ms),
      endsAt: Number(r.ends_ms),
    };
    let s = evolveUnmute(initialUnmuteState, started);
    if (r.ended_ms !== null)
      s = evolveUnmute(s, {
        type: 'TemporaryUnmuteEnded',
        unmuteId: r.unmute_id,
        endedAt: Number(r.ended_ms),
        endedBy: r.ended_by ?? 'system',
        reason: r.reason ?? 'expired',
      });
    return s;
  }

  private static view(r: Row): UnmuteView {
    return {
      unmuteId: r.unmute_id,
      tenantId: r.tenant_id,
      tagId: r.tag_id,
      tagName: r.tag_name,
      actorId: r.actor_id,
      startsAt: Number(r.starts_ms),
      endsAt: Number(r.ends_ms),
      status: r.ended_ms === null ? 'active' : 'ended',
      endedAt: r.ended_ms === null ? null : Number(r.ended_ms),
      endedBy: r.ended_by,
      passedCount: r.passed,
    };
  }

  private async load(q: Sql, tenantId: string, unmuteId: string, lock: boolean): Promise<Row | undefined> {
    const { rows } = await q.query<Row>(
      `${this.select('u.tenant_id = $1 AND u.unmute_id = $2')}${lock ? ' FOR UPDATE OF u' : ''}`,
      [tenantId, unmuteId],
    );
    return rows[0];
  }

  async start(c: {
    tenantId: string;
    unmuteId?: string;
    tagId: string;
    tagName: string;
    actorId: string;
    hours: number;
    now: number;
  }): Promise<UnmuteView> {
    const unmuteId = c.unmuteId ?? randomUUID();
    return inTransaction(this.pool, async (tx) => {
      const existing = await this.load(tx, c.tenantId, unmuteId, true);
      const [started] = decideUnmute(
        { type: 'StartTemporaryUnmute', ...c, unmuteId },
        UnmuteStore.state(existing),
      );
      if (started?.type !== 'TemporaryUnmuteStarted') throw new Error('unreachable');
      await tx.query(
        `INSERT INTO ${this.unmutes} (tenant_id, unmute_id, tag_id, tag_name, actor_id, starts_at, ends_at)
         VALUES ($1, $2, $3, $4, $5, to_timestamp($6 / 1000.0), to_timestamp($7 / 1000.0))`,
        [c.tenantId, unmuteId, c.tagId, c.tagName, c.actorId, started.startsAt, started.endsAt],
      );
      await this.timers.schedule(tx, {
        timerId: `${UNMUTE_END_TIMER}:${c.tenantId}/${unmuteId}`,
        tenantId: c.tenantId,
        kind: UNMUTE_END_TIMER,
        dueAt: started.endsAt,
        payload: { unmuteId },
      });
      await this.outbox.add(tx, {
        topic: MUTE_FLOW_EVENTS_TOPIC,
        key: `${c.tenantId}/unmute/${unmuteId}`,
        eventId: randomUUID(),
        type: 'mute.temporary_unmute_started.v1',
        data: {
          tenantId: c.tenantId,
          revision: '0',
          position: '0',
          unmuteId,
          tagId: c.tagId,
          tagName: c.tagName,
          actorId: c.actorId,
          startsAt: iso(started.startsAt),
          endsAt: iso(started.endsAt),
          hours: c.hours,
        },
        tenantId: c.tenantId,
        actorId: c.actorId,
      });
      return UnmuteStore.view((await this.load(tx, c.tenantId, unmuteId, false))!);
    });
  }

  /** Ends it now (the admin's "stop"); the report is made as when it expires. */
  stop(c: { tenantId: string; unmuteId: string; actorId: string; now: number }): Promise<UnmuteReport> {
    return inTransaction(this.pool, (tx) =>
      this.end(tx, c.tenantId, c.unmuteId, { type: 'StopTemporaryUnmute', actorId: c.actorId, now: c.now }),
    );
  }

  /** The durable timer's handler: runs in the timer's transaction. */
  readonly onTimer = async (tx: PoolClient, timer: DueTimer): Promise<void> => {
    await this.end(tx, timer.tenantId, String(timer.payload.unmuteId), {
      type: 'ExpireTemporaryUnmute',
      now: Math.max(timer.dueAt, Date.now()),
    });
  };

  private async end(
    tx: PoolClient,
    tenantId: string,
    unmuteId: string,
    command: UnmuteCommand,
  ): Promise<UnmuteReport> {
    const row = await this.load(tx, tenantId, unmuteId, true);
    if (!row) throw new FlowError('MUTE.NOT_FOUND', `no unmute ${unmuteId}`, 'unmuteId');
    let state = UnmuteStore.state(row);
    const events = decideUnmute(command, state);
    if (events.length === 0) {
      if (row.report) return row.report;
      throw new FlowError('MUTE.FAILED_PRECONDITION', `unmute ${unmuteId} has not ended yet`, 'unmuteId');
    }
    for (const e of events) state = evolveUnmute(state, e);
    const ended = events[0] as Extract<UnmuteEvent, { type: 'TemporaryUnmuteEnded' }>;
    const report = unmuteReport(state, await this.passed(tx, tenantId, unmuteId));
    await tx.query(
      `UPDATE ${this.unmutes} SET ended_at = to_timestamp($3 / 1000.0), ended_by = $4, reason = $5, report = $6
        WHERE tenant_id = $1 AND unmute_id = $2`,
      [tenantId, unmuteId, ended.endedAt, ended.endedBy, ended.reason, JSON.stringify(report)],
    );
    await this.timers.cancel(tx, `${UNMUTE_END_TIMER}:${tenantId}/${unmuteId}`);
    await this.outbox.add(tx, {
      topic: MUTE_FLOW_EVENTS_TOPIC,
      key: `${tenantId}/unmute/${unmuteId}`,
      eventId: randomUUID(),
      // The contract's "ended" event, with the whole operation report in it.
      type: 'mute.temporary_unmute_ended.v1',
      data: {
        tenantId,
        revision: '1',
        position: '0',
        unmuteId,
        tagId: report.tagId,
        endedAt: iso(report.endedAt),
        messagesLetThrough: report.messageCount,
        report: reportV1(report),
      },
      tenantId,
      actorId: ended.endedBy,
    });
    return report;
  }

  private async passed(q: Sql, tenantId: string, unmuteId: string): Promise<PassedMessage[]> {
    const { rows } = await q.query<{
      message_id: string;
      recipient_id: string;
      sender: string;
      sender_corp_id: string | null;
      sent_ms: string;
      otherwise: PassedMessage['otherwise'];
    }>(
      `SELECT message_id, recipient_id, sender, sender_corp_id, (extract(epoch FROM sent_at) * 1000)::bigint AS sent_ms, otherwise
         FROM ${this.passes} WHERE tenant_id = $1 AND unmute_id = $2`,
      [tenantId, unmuteId],
    );
    return rows.map((r) => ({
      messageId: r.message_id,
      recipientId: r.recipient_id,
      sender: r.sender,
      senderCorpId: r.sender_corp_id,
      sentAt: Number(r.sent_ms),
      otherwise: r.otherwise,
    }));
  }

  /** Called by the decision path for a decision whose winner was the unmute (decision.unmuteId). Idempotent. */
  async recordPass(q: Sql, tenantId: string, unmuteId: string, m: PassedMessage): Promise<void> {
    await q.query(
      `INSERT INTO ${this.passes} (tenant_id, unmute_id, message_id, recipient_id, sender, sender_corp_id, sent_at, otherwise)
       VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7 / 1000.0), $8) ON CONFLICT DO NOTHING`,
      [tenantId, unmuteId, m.messageId, m.recipientId, m.sender, m.senderCorpId, m.sentAt, m.otherwise],
    );
  }

  /** The unmutes the engine is given for a tenant's decisions (it checks their bounds against sentAt). */
  async inForce(tenantId: string): Promise<TemporaryUnmute[]> {
    const { rows } = await this.pool.query<Row>(this.select('u.tenant_id = $1 AND u.ended_at IS NULL'), [
      tenantId,
    ]);
    return rows.map((r) => ({
      unmuteId: r.unmute_id,
      tagId: r.tag_id,
      actorId: r.actor_id,
      startsAt: Number(r.starts_ms),
      endsAt: Number(r.ends_ms),
    }));
  }

  /** Every tenant's unmutes not yet ended (the decision path's memory, ActiveUnmutes). */
  async allActive(): Promise<{ tenantId: string; unmute: TemporaryUnmute }[]> {
    const { rows } = await this.pool.query<Row>(this.select('u.ended_at IS NULL'));
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      unmute: {
        unmuteId: r.unmute_id,
        tagId: r.tag_id,
        actorId: r.actor_id,
        startsAt: Number(r.starts_ms),
        endsAt: Number(r.ends_ms),
      },
    }));
  }

  async get(tenantId: string, unmuteId: string): Promise<UnmuteView> {
    const row = await this.load(this.pool, tenantId, unmuteId, false);
    if (!row) throw new FlowError('MUTE.NOT_FOUND', `no unmute ${unmuteId}`, 'unmuteId');
    return UnmuteStore.view(row);
  }

  async list(tenantId: string, filter: { tagId?: string; activeOnly?: boolean } = {}): Promise<UnmuteView[]> {
    const { rows } = await this.pool.query<Row>(
      `${this.select(`u.tenant_id = $1 AND ($2::text IS NULL OR u.tag_id = $2) AND (NOT $3 OR u.ended_at IS NULL)`)} ORDER BY u.starts_at DESC, u.unmute_id`,
      [tenantId, filter.tagId ?? null, filter.activeOnly ?? false],
    );
    return rows.map(UnmuteStore.view);
  }

  async report(tenantId: string, unmuteId: string): Promise<UnmuteReport> {
    const row = await this.load(this.pool, tenantId, unmuteId, false);
    if (!row) throw new FlowError('MUTE.NOT_FOUND', `no unmute ${unmuteId}`, 'unmuteId');
    if (!row.report)
      throw new FlowError(
        'MUTE.FAILED_PRECONDITION',
        `unmute ${unmuteId} is still in force until ${iso(Number(row.ends_ms))}`,
        'unmuteId',
      );
    return row.report;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The report as published: instants as ISO-8601. */
function reportV1(r: UnmuteReport): Record<string, unknown> {
  return {
    ...r,
    startedAt: iso(r.startedAt),
    plannedEndAt: iso(r.plannedEndAt),
    endedAt: iso(r.endedAt),
    messages: r.messages.map((m) => ({ ...m, sentAt: iso(m.sentAt) })),
  };
}
