import { randomUUID } from 'node:crypto';
import type { EventStore, RecordedEvent } from '@tagguard/event-store';
import type { TemporaryUnmute } from '@tagguard/mute-engine';
import type { ComponentHandle } from '@tagguard/telemetry';
import type { Pool, PoolClient } from 'pg';
import type { RecordedDecision } from '../messages/domain/message.decider';
import { ReadModelFeed } from '../projections/read-model-feed';
import { MESSAGE_CATEGORY, UNMUTE_CATEGORY, unmuteStream } from '../streams';
import { createTables, table, type Sql } from '../timers/sql';
import type { DueTimer, TimerStore } from '../timers/timer-store';
import type { MuteWriter, WriteOutcome } from '../write/mute-writer';
import {
  unmuteDecider,
  type PassedMessage,
  type UnmuteCommand,
  type UnmuteEvent,
  type UnmuteReport,
  type UnmuteState,
} from './domain/unmute.decider';
import { FlowError } from './domain/unmute.errors';

export const UNMUTE_END_TIMER = 'unmute.end';
export const UNMUTE_FEED = 'unmute-feed';
/** How long a stop waits for the decisions before it to reach the report's lines, then UNAVAILABLE. */
export const STOP_CATCH_UP_MS = 15_000;

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

const senderText = (m: RecordedDecision['message']): string =>
  m.sender.kind === 'partner_staff'
    ? `partner_staff:${m.sender.corpId}/${m.sender.staffId}`
    : m.sender.kind === 'external_customer'
      ? `external_customer:${m.sender.customerId}`
      : `employee:${m.sender.employeeId}`;

const timerId = (tenantId: string, unmuteId: string) => `${UNMUTE_END_TIMER}:${tenantId}/${unmuteId}`;

/**
 * Temporary unmutes (issue 13 item 4, D100, D110): the one-click "unmute this tag for N hours". Its state is
 * its stream (muteUnmute-<tenant>.<id>: TemporaryUnmuteStarted, TemporaryUnmuteEnded with the operation
 * report), written through MuteWriter; the relay publishes both on mute-service's events topic for the audit
 * trail. The tables here are read models of the event store (the unmute feed, ReadModelFeed): the unmutes,
 * and the messages each one let through (from MessageDecided, whose winner was the unmute). The feed also
 * keeps the unmute's end a durable timer (scheduled with TemporaryUnmuteStarted, cancelled with its end), so
 * it ends after a restart too.
 */
export class UnmuteStore {
  readonly feed: ReadModelFeed;

  private constructor(
    private readonly pool: Pool,
    private readonly unmutes: string,
    private readonly passes: string,
    private readonly timers: TimerStore,
    private readonly writer: MuteWriter,
    schema: string,
    store: EventStore,
    component?: ComponentHandle,
  ) {
    this.feed = new ReadModelFeed(pool, schema, store, {
      name: UNMUTE_FEED,
      filter: {
        categories: [UNMUTE_CATEGORY, MESSAGE_CATEGORY],
        eventTypes: ['TemporaryUnmuteStarted', 'TemporaryUnmuteEnded', 'MessageDecided'],
      },
      apply: (tx, events) => this.apply(tx, events),
      ...(component ? { component } : {}),
    });
  }

  static async create(
    pool: Pool,
    schema: string,
    store: EventStore,
    writer: MuteWriter,
    timers: TimerStore,
    component?: ComponentHandle,
  ): Promise<UnmuteStore> {
    const { unmutes, passes } = UnmuteStore.tables(schema);
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
    await ReadModelFeed.createCheckpoints(pool, schema);
    return new UnmuteStore(pool, unmutes, passes, timers, writer, schema, store, component);
  }

  /** The read-model tables (a rebuild truncates them and the feed's checkpoint row). */
  static tables(schema: string) {
    return { unmutes: table(schema, 'mute_unmutes'), passes: table(schema, 'mute_unmute_passes') };
  }

  // ---- the write side: commands through MuteWriter ----

  private write(tenantId: string, unmuteId: string, command: UnmuteCommand, actorId: string) {
    return this.writer.write({ stream: unmuteStream(tenantId, unmuteId), decider: unmuteDecider }, command, {
      tenantId,
      actorId,
    });
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
    const outcome = await this.write(
      c.tenantId,
      unmuteId,
      { type: 'StartTemporaryUnmute', ...c, unmuteId },
      c.actorId,
    );
    // Read-your-write: the decision path's memory of unmutes is refreshed from the read model next.
    await this.feed.waitFor(outcome.position);
    return UnmuteStore.viewOf(outcome.state, 0);
  }

  /** Ends it now (the admin's "stop"); the report is made as when it expires. */
  async stop(c: { tenantId: string; unmuteId: string; actorId: string; now: number }): Promise<UnmuteReport> {
    // No such unmute (NOT_FOUND) or one already ended (its report): the decider answers at once, without
    // waiting for the feed, so a lagging feed never turns these into UNAVAILABLE.
    const current = await this.writer.state({
      stream: unmuteStream(c.tenantId, c.unmuteId),
      decider: unmuteDecider,
    });
    if (current.status !== 'active') {
      const answered = await this.write(
        c.tenantId,
        c.unmuteId,
        { type: 'StopTemporaryUnmute', actorId: c.actorId, now: c.now, passed: [] },
        c.actorId,
      );
      return UnmuteStore.reportOf(answered, c.unmuteId);
    }
    // The decisions made before the stop are in the report: the feed has applied them first. A report
    // missing some is never written: the caller retries.
    if (!(await this.feed.catchUp(STOP_CATCH_UP_MS)))
      throw new FlowError(
        'MUTE.UNAVAILABLE',
        'the unmute report is catching up with the decisions; retry',
        'unmuteId',
      );
    const passed = await this.passed(this.pool, c.tenantId, c.unmuteId);
    const outcome = await this.write(
      c.tenantId,
      c.unmuteId,
      { type: 'StopTemporaryUnmute', actorId: c.actorId, now: c.now, passed },
      c.actorId,
    );
    await this.feed.waitFor(outcome.position);
    return UnmuteStore.reportOf(outcome, c.unmuteId);
  }

  /**
   * The durable timer's handler. The end is appended to the event store (not this transaction): a crash
   * after the append fires the timer again, and the decider answers the second end with nothing. It does not
   * wait for the feed: the timer's transaction holds a transaction id, and the store's gap-safe reads hold
   * back every event committed after it until it ends. The flow runner lets the feed catch up before it
   * fires timers instead.
   */
  readonly onTimer = async (_tx: PoolClient, timer: DueTimer): Promise<void> => {
    const unmuteId = String(timer.payload.unmuteId);
    await this.write(
      timer.tenantId,
      unmuteId,
      {
        type: 'ExpireTemporaryUnmute',
        now: Math.max(timer.dueAt, Date.now()),
        passed: await this.passed(this.pool, timer.tenantId, unmuteId),
      },
      'system',
    );
  };

  private static reportOf(outcome: WriteOutcome<UnmuteState>, unmuteId: string): UnmuteReport {
    const s = outcome.state;
    if (s.status !== 'ended' || !s.ended)
      throw new FlowError('MUTE.FAILED_PRECONDITION', `unmute ${unmuteId} has not ended yet`, 'unmuteId');
    return s.ended.report;
  }

  private static viewOf(s: UnmuteState, passedCount: number): UnmuteView {
    if (s.status === 'none') throw new Error('unreachable: the unmute was just written');
    return {
      unmuteId: s.started.unmuteId,
      tenantId: s.started.tenantId,
      tagId: s.started.tagId,
      tagName: s.started.tagName,
      actorId: s.started.actorId,
      startsAt: s.started.startsAt,
      endsAt: s.started.endsAt,
      status: s.status,
      endedAt: s.ended?.endedAt ?? null,
      endedBy: s.ended?.endedBy ?? null,
      passedCount,
    };
  }

  // ---- the read models: applied by the feed, in the transaction of its checkpoint ----

  private async apply(tx: PoolClient, events: RecordedEvent[]): Promise<void> {
    for (const recorded of events) {
      const tenantId = recorded.metadata.tenantId;
      if (recorded.type === 'MessageDecided') {
        const d = recorded.data as RecordedDecision;
        if (d.unmuteId) await this.recordPass(tx, tenantId, d.unmuteId, d);
        continue;
      }
      const e = { type: recorded.type, data: recorded.data } as UnmuteEvent;
      if (e.type === 'TemporaryUnmuteStarted') {
        const u = e.data;
        await tx.query(
          `INSERT INTO ${this.unmutes} (tenant_id, unmute_id, tag_id, tag_name, actor_id, starts_at, ends_at)
           VALUES ($1, $2, $3, $4, $5, to_timestamp($6 / 1000.0), to_timestamp($7 / 1000.0)) ON CONFLICT DO NOTHING`,
          [tenantId, u.unmuteId, u.tagId, u.tagName, u.actorId, u.startsAt, u.endsAt],
        );
        // A fired or cancelled timer is not re-armed (schedule moves pending timers only): a rebuild is safe.
        await this.timers.schedule(tx, {
          timerId: timerId(tenantId, u.unmuteId),
          tenantId,
          kind: UNMUTE_END_TIMER,
          dueAt: u.endsAt,
          payload: { unmuteId: u.unmuteId },
        });
      } else {
        const u = e.data;
        await tx.query(
          `UPDATE ${this.unmutes} SET ended_at = to_timestamp($3 / 1000.0), ended_by = $4, reason = $5, report = $6
            WHERE tenant_id = $1 AND unmute_id = $2`,
          [tenantId, u.unmuteId, u.endedAt, u.endedBy, u.reason, JSON.stringify(u.report)],
        );
        await this.timers.cancel(tx, timerId(tenantId, u.unmuteId));
      }
    }
  }

  /** A decision this unmute won: a line of its report. Idempotent. */
  private async recordPass(tx: Sql, tenantId: string, unmuteId: string, d: RecordedDecision): Promise<void> {
    const m = d.message;
    const otherwise = d.reasons.find((r) => !r.won && r.source === 'rule');
    await tx.query(
      `INSERT INTO ${this.passes} (tenant_id, unmute_id, message_id, recipient_id, sender, sender_corp_id, sent_at, otherwise)
       VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7 / 1000.0), $8) ON CONFLICT DO NOTHING`,
      [
        tenantId,
        unmuteId,
        m.messageId,
        m.recipientId,
        senderText(m),
        m.senderCorpId,
        m.sentAt,
        otherwise
          ? otherwise.effect === 'silent'
            ? 'SILENT'
            : otherwise.effect === 'hold'
              ? 'HOLD'
              : 'NOTIFY'
          : null,
      ],
    );
  }

  // ---- queries (the read models) ----

  private select(where: string): string {
    return `SELECT u.tenant_id, u.unmute_id, u.tag_id, u.tag_name, u.actor_id,
        (extract(epoch FROM u.starts_at) * 1000)::bigint AS starts_ms, (extract(epoch FROM u.ends_at) * 1000)::bigint AS ends_ms,
        (extract(epoch FROM u.ended_at) * 1000)::bigint AS ended_ms, u.ended_by, u.reason, u.report,
        (SELECT count(*)::int FROM ${this.passes} p WHERE p.tenant_id = u.tenant_id AND p.unmute_id = u.unmute_id) AS passed
      FROM ${this.unmutes} u WHERE ${where}`;
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

  private async load(q: Sql, tenantId: string, unmuteId: string): Promise<Row | undefined> {
    const { rows } = await q.query<Row>(this.select('u.tenant_id = $1 AND u.unmute_id = $2'), [
      tenantId,
      unmuteId,
    ]);
    return rows[0];
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

  /** The unmutes the engine is given for a tenant's decisions (it checks their bounds against sentAt). */
  async inForce(tenantId: string): Promise<TemporaryUnmute[]> {
    const { rows } = await this.pool.query<Row>(this.select('u.tenant_id = $1 AND u.ended_at IS NULL'), [
      tenantId,
    ]);
    return rows.map(UnmuteStore.engineUnmute);
  }

  /** Every tenant's unmutes not yet ended (the decision path's memory, ActiveUnmutes). */
  async allActive(): Promise<{ tenantId: string; unmute: TemporaryUnmute }[]> {
    const { rows } = await this.pool.query<Row>(this.select('u.ended_at IS NULL'));
    return rows.map((r) => ({ tenantId: r.tenant_id, unmute: UnmuteStore.engineUnmute(r) }));
  }

  private static engineUnmute(r: Row): TemporaryUnmute {
    return {
      unmuteId: r.unmute_id,
      tagId: r.tag_id,
      actorId: r.actor_id,
      startsAt: Number(r.starts_ms),
      endsAt: Number(r.ends_ms),
    };
  }

  async get(tenantId: string, unmuteId: string): Promise<UnmuteView> {
    const row = await this.load(this.pool, tenantId, unmuteId);
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
    const row = await this.load(this.pool, tenantId, unmuteId);
    if (!row) throw new FlowError('MUTE.NOT_FOUND', `no unmute ${unmuteId}`, 'unmuteId');
    if (!row.report)
      throw new FlowError(
        'MUTE.FAILED_PRECONDITION',
        `unmute ${unmuteId} is still in force until ${new Date(Number(row.ends_ms)).toISOString()}`,
        'unmuteId',
      );
    return row.report;
  }
}
