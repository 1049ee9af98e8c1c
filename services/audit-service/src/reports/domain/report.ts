/**
 * Operation reports (issue 14 item 4), as pure values built from audit-trail records. A report cites
 * the records it is built from (leaf index and event id), so each of its facts can be proved against a
 * signed tree head with GetInclusionProof.
 */
export type ReportKind = 'restore' | 'critical_operation' | 'rebuild' | 'temporary_unmute' | 'weekly';

/** One audit-trail record as the builders read it. */
export interface TrailRecord {
  leafIndex: number | null;
  eventId: string;
  eventType: string;
  actorId: string;
  subjectId: string;
  correlationId: string;
  /** RFC 3339. */
  occurredAt: string;
  recordedAt: string;
  data: Record<string, unknown>;
}

export interface ReportSection {
  title: string;
  columns: string[];
  rows: string[][];
}

export interface Report {
  id: string;
  kind: ReportKind;
  tenantId: string;
  title: string;
  periodStart: string;
  periodEnd: string;
  /** The trail record that triggered it; empty for weekly reports. */
  sourceEventId: string;
  /** Key facts, in order. */
  facts: [label: string, value: string][];
  sections: ReportSection[];
  /** Every record the report is built from. */
  basedOn: { leafIndex: number | null; eventId: string; eventType: string }[];
}

/**
 * The trail records that make an operation report, by kind. `fedToday: false` would mark a contract in
 * waiting (no audited topic carries that event type yet, so no such report exists — none is invented);
 * every kind is fed today: temporary unmutes since the trail records MUTE_EVENTS_TOPIC_V1.
 */
export const REPORT_SOURCES: Record<
  Exclude<ReportKind, 'weekly'>,
  { eventTypes: readonly string[]; fedToday: boolean }
> = {
  restore: {
    eventTypes: ['tag.restored.v1', 'tag.restore_applied.v1', 'tag.restored_to_point.v1'],
    fedToday: true,
  },
  critical_operation: { eventTypes: ['tag.sensitive_operation_detected.v1'], fedToday: true },
  rebuild: { eventTypes: ['tag.read_models_rebuilt.v1'], fedToday: true },
  temporary_unmute: { eventTypes: ['mute.temporary_unmute_ended.v1'], fedToday: true },
};

/** Records that belong to an operation report without starting one (joined by operation or correlation). */
export const RELATED_EVENT_TYPES: readonly string[] = [
  'tag.notification_requested.v1',
  'tag.operator_frozen.v1',
  'tag.approval_requested.v1',
  'tag.approval_decided.v1',
];

/**
 * Delivery attempts of notifications, as notification delivery (src/notifications/, engineer C) audits
 * them into the trail: `data.notificationIds` (a digest carries several), `data.channelId`, `data.status`.
 * A week without any is reported as delivery pending.
 */
export const NOTIFICATION_DELIVERY_EVENT_TYPES: readonly string[] = [
  'audit.notification_delivery_attempted.v1',
];

/** The kind an operation report's triggering record makes, or undefined if it starts none. */
export function reportKindOf(
  record: Pick<TrailRecord, 'eventType' | 'data'>,
): Exclude<ReportKind, 'weekly'> | undefined {
  for (const [kind, source] of Object.entries(REPORT_SOURCES))
    if (source.eventTypes.includes(record.eventType)) {
      if (kind === 'critical_operation' && record.data['level'] !== 'critical') return undefined;
      return kind as Exclude<ReportKind, 'weekly'>;
    }
  return undefined;
}

export class ReportError extends Error {
  constructor(
    readonly code: 'REPORT.INVALID_ID' | 'REPORT.NOT_FOUND',
    message: string,
  ) {
    super(message);
  }
}

/** "restore:<uuid>", "weekly:2026-W48"; anything else is REPORT.INVALID_ID. */
export function parseReportId(id: string): { kind: ReportKind; key: string } {
  const match = /^(restore|critical_operation|rebuild|temporary_unmute|weekly):(.+)$/.exec(id);
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  if (!match) throw new ReportError('REPORT.INVALID_ID', 'is not an id ListReports returned');
  const [, kind, key] = match as unknown as [string, ReportKind, string];
  if (kind === 'weekly' ? !/^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$/.test(key) : !uuid.test(key))
    throw new ReportError('REPORT.INVALID_ID', 'is not an id ListReports returned');
  return { kind, key };
}
