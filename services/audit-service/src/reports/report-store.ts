import type { Pool } from 'pg';
import { quoteIdent } from '@tagguard/event-store';
import {
  NOTIFICATION_DELIVERY_EVENT_TYPES,
  RELATED_EVENT_TYPES,
  REPORT_SOURCES,
  type ReportKind,
  type TrailRecord,
} from './domain/report';
import type { WeekOfTrail } from './domain/report-builders';

const SOURCE_TYPES = Object.values(REPORT_SOURCES).flatMap((s) => s.eventTypes);
const INDEXED_TYPES = [...SOURCE_TYPES, ...RELATED_EVENT_TYPES, ...NOTIFICATION_DELIVERY_EVENT_TYPES];
// Inlined as constants (never caller input), so the planner sees the partial index's own predicate.
const INDEXED_LIST = INDEXED_TYPES.map((t) => `'${t.replace(/'/g, "''")}'`).join(', ');
/** A command's records arrive together: its siblings (same correlation id) are looked for this near it. */
const SIBLING_WINDOW = 1_000;

interface Row {
  seq: string;
  leaf_index: string | null;
  event_id: string;
  event_type: string;
  actor_id: string;
  subject_id: string;
  correlation_id: string;
  occurred_at: Date;
  recorded_at: Date;
  data: Record<string, unknown> | null;
}
const COLUMNS = `seq, leaf_index, event_id::text, event_type, actor_id, subject_id, correlation_id, occurred_at,
  recorded_at, data`;

export type SeqRecord = TrailRecord & { seq: number };

const toRecord = (r: Row): SeqRecord => ({
  seq: Number(r.seq),
  leafIndex: r.leaf_index === null ? null : Number(r.leaf_index),
  eventId: r.event_id,
  eventType: r.event_type,
  actorId: r.actor_id,
  subjectId: r.subject_id,
  correlationId: r.correlation_id,
  occurredAt: r.occurred_at.toISOString(),
  recordedAt: r.recorded_at.toISOString(),
  data: r.data && typeof r.data === 'object' ? r.data : {},
});

/**
 * Reads what the reports are built from, out of the audit trail's own table (nothing is stored for a
 * report: it is a function of the trail). Two indexes keep this off the bulk of the trail: a partial
 * one over the few record types reports start from or join (empty for most rows, so ingest pays
 * almost nothing), and a BRIN over recorded_at for the weekly counts.
 */
export class ReportStore {
  private readonly s: string;

  constructor(
    private readonly pool: Pool,
    schema: string,
  ) {
    this.s = quoteIdent(schema);
  }

  async ensureIndexes(): Promise<void> {
    await this.pool.query(
      `CREATE INDEX IF NOT EXISTS audit_records_reportable ON ${this.s}.audit_records (tenant_id, seq)
       WHERE event_type IN (${INDEXED_LIST})`,
    );
    await this.pool.query(
      `CREATE INDEX IF NOT EXISTS audit_records_restore_id ON ${this.s}.audit_records (tenant_id, (data->>'restoreId'), seq)
       WHERE event_type = 'tag.restored_to_point.v1'`,
    );
    await this.pool.query(
      `CREATE INDEX IF NOT EXISTS audit_records_recorded_brin ON ${this.s}.audit_records USING brin (recorded_at)`,
    );
  }

  /** The records that start reports of `kinds`, after `afterSeq`, oldest first (one per point-in-time restore). */
  async triggers(
    tenantId: string,
    kinds: Exclude<ReportKind, 'weekly'>[],
    afterSeq: number,
    limit: number,
  ): Promise<SeqRecord[]> {
    const types = kinds.flatMap((k) => REPORT_SOURCES[k].eventTypes);
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.s}.audit_records r
       WHERE r.tenant_id = $1 AND r.event_type = ANY($2::text[]) AND r.event_type IN (${INDEXED_LIST}) AND r.seq > $3
         AND (r.event_type <> 'tag.sensitive_operation_detected.v1' OR r.data->>'level' = 'critical')
         AND (r.event_type <> 'tag.restored_to_point.v1' OR NOT EXISTS (
           SELECT 1 FROM ${this.s}.audit_records p
           WHERE p.tenant_id = r.tenant_id AND p.event_type = 'tag.restored_to_point.v1'
             AND p.data->>'restoreId' = r.data->>'restoreId' AND p.seq < r.seq))
       ORDER BY r.seq LIMIT $4`,
      [tenantId, types, afterSeq, limit],
    );
    return rows.map(toRecord);
  }

  async byEventId(tenantId: string, eventId: string): Promise<SeqRecord | undefined> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.s}.audit_records WHERE event_id = $1::uuid AND tenant_id = $2`,
      [eventId, tenantId],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** Every record of one point-in-time restore. */
  async restoreGroup(tenantId: string, restoreId: string): Promise<SeqRecord[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.s}.audit_records
       WHERE tenant_id = $1 AND event_type = 'tag.restored_to_point.v1' AND data->>'restoreId' = $2 ORDER BY seq`,
      [tenantId, restoreId],
    );
    return rows.map(toRecord);
  }

  /** The other records of the same command (same correlation id), near it in arrival order. */
  async siblings(tenantId: string, of: SeqRecord): Promise<SeqRecord[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.s}.audit_records
       WHERE tenant_id = $1 AND seq BETWEEN $2 AND $3 AND correlation_id = $4 AND event_id <> $5::uuid ORDER BY seq`,
      [tenantId, of.seq - SIBLING_WINDOW, of.seq + SIBLING_WINDOW, of.correlationId, of.eventId],
    );
    return rows.map(toRecord);
  }

  /** Notifications and freezes that name the operation. */
  async ofOperation(tenantId: string, operationId: string): Promise<SeqRecord[]> {
    const types = ['tag.notification_requested.v1', 'tag.operator_frozen.v1'];
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.s}.audit_records
       WHERE tenant_id = $1 AND event_type = ANY($3::text[]) AND event_type IN (${INDEXED_LIST})
         AND data->>'operationId' = $2 ORDER BY seq`,
      [tenantId, operationId, types],
    );
    return rows.map(toRecord);
  }

  async firstRecordedAt(tenantId: string): Promise<Date | undefined> {
    const { rows } = await this.pool.query<{ recorded_at: Date }>(
      `SELECT recorded_at FROM ${this.s}.audit_records WHERE tenant_id = $1 ORDER BY seq LIMIT 1`,
      [tenantId],
    );
    return rows[0]?.recorded_at;
  }

  /** The trail of one week (recorded_at in [start, end)), as the weekly report reads it. */
  async week(tenantId: string, start: Date, end: Date): Promise<WeekOfTrail> {
    const counts = this.pool.query<{ event_type: string; n: string }>(
      `SELECT event_type, count(*) AS n FROM ${this.s}.audit_records
       WHERE tenant_id = $1 AND recorded_at >= $2 AND recorded_at < $3 GROUP BY event_type`,
      [tenantId, start, end],
    );
    const wanted = [
      'tag.sensitive_operation_detected.v1',
      'tag.notification_requested.v1',
      ...NOTIFICATION_DELIVERY_EVENT_TYPES,
    ];
    const records = this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.s}.audit_records
       WHERE tenant_id = $1 AND event_type = ANY($4::text[]) AND event_type IN (${INDEXED_LIST}) AND recorded_at >= $2 AND recorded_at < $3 ORDER BY seq`,
      [tenantId, start, end, wanted],
    );
    const [c, r] = await Promise.all([counts, records]);
    const all = r.rows.map(toRecord);
    return {
      start,
      end,
      countsByType: new Map(c.rows.map((x) => [x.event_type, Number(x.n)])),
      detections: all.filter((x) => x.eventType === 'tag.sensitive_operation_detected.v1'),
      notifications: all.filter((x) => x.eventType === 'tag.notification_requested.v1'),
      deliveries: all.filter((x) => NOTIFICATION_DELIVERY_EVENT_TYPES.includes(x.eventType)),
    };
  }
}
