import {
  buildCriticalOperationReport,
  buildRestoreReport,
  buildSingleRecordReport,
  buildTemporaryUnmuteReport,
  buildWeeklyReport,
} from './domain/report-builders';
import { nextWeek, startOfWeekId, weekId, weekStart } from './domain/iso-week';
import {
  parseReportId,
  REPORT_SOURCES,
  ReportError,
  reportKindOf,
  type Report,
  type ReportKind,
} from './domain/report';
import type { ReportStore, SeqRecord } from './report-store';

export type ReportSummary = Pick<
  Report,
  'id' | 'kind' | 'title' | 'periodStart' | 'periodEnd' | 'sourceEventId'
>;
const OPERATION_KINDS = Object.keys(REPORT_SOURCES) as Exclude<ReportKind, 'weekly'>[];
const summaryOf = ({ id, kind, title, periodStart, periodEnd, sourceEventId }: Report): ReportSummary => ({
  id,
  kind,
  title,
  periodStart,
  periodEnd,
  sourceEventId,
});

/** Lists and builds a tenant's reports from its trail: the store reads, the pure builders decide. */
export class Reports {
  constructor(
    private readonly store: ReportStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Operation reports (all kinds but weekly, or one kind) oldest first; `after` is the last trigger's seq. */
  async listOperations(
    tenantId: string,
    kind: Exclude<ReportKind, 'weekly'> | undefined,
    after: number,
    limit: number,
  ): Promise<{ reports: ReportSummary[]; next?: number }> {
    const triggers = await this.store.triggers(tenantId, kind ? [kind] : OPERATION_KINDS, after, limit + 1);
    const page = triggers.slice(0, limit);
    return {
      reports: page.map((t) => summaryOf(this.buildFrom(tenantId, t, [t], []))),
      ...(triggers.length > limit ? { next: page[page.length - 1]!.seq } : {}),
    };
  }

  /** Weekly reports: every week from the tenant's first record's to the current one (in progress). */
  async listWeeks(
    tenantId: string,
    after: number,
    limit: number,
  ): Promise<{ reports: ReportSummary[]; next?: number }> {
    const first = await this.store.firstRecordedAt(tenantId);
    if (!first) return { reports: [] };
    const current = weekStart(this.now()).getTime();
    const reports: ReportSummary[] = [];
    let n = 0;
    for (let start = weekStart(first); start.getTime() <= current; start = nextWeek(start), n++) {
      if (n < after) continue;
      if (reports.length === limit) return { reports, next: n };
      reports.push(this.weeklySummary(start));
    }
    return { reports };
  }

  async get(tenantId: string, reportId: string): Promise<Report> {
    const { kind, key } = parseReportId(reportId);
    if (kind === 'weekly') {
      const start = startOfWeekId(key);
      if (!start || start.getTime() > this.now().getTime())
        throw new ReportError('REPORT.NOT_FOUND', `week ${key} has not begun`);
      return this.weekly(tenantId, start, await this.store.week(tenantId, start, nextWeek(start)));
    }
    const trigger = await this.store.byEventId(tenantId, key);
    if (!trigger || reportKindOf(trigger) !== kind)
      throw new ReportError('REPORT.NOT_FOUND', `no ${kind} report ${key} in this tenant's trail`);
    // A point-in-time restore is one report: of its tag.restore_applied.v1, or (recorded before that
    // event existed) of its first tag.restored_to_point.v1.
    const pointInTime = ['tag.restored_to_point.v1', 'tag.restore_applied.v1'].includes(trigger.eventType);
    const group = pointInTime
      ? await this.store.restoreGroup(tenantId, String(trigger.data['restoreId']))
      : [trigger];
    const head = group.find((g) => g.eventType === 'tag.restore_applied.v1') ?? group[0]!;
    if (head.eventId !== trigger.eventId)
      throw new ReportError('REPORT.NOT_FOUND', `restore ${key} is reported as restore:${head.eventId}`);
    const siblings = await this.store.siblings(tenantId, trigger);
    const operationId = kind === 'critical_operation' ? String(trigger.data['operationId'] ?? '') : '';
    const ofOperation = operationId ? await this.store.ofOperation(tenantId, operationId) : [];
    const related = [...new Map([...siblings, ...ofOperation].map((r) => [r.eventId, r])).values()].filter(
      (r) => !group.some((g) => g.eventId === r.eventId),
    );
    return this.buildFrom(tenantId, trigger, group, related);
  }

  private buildFrom(tenantId: string, trigger: SeqRecord, group: SeqRecord[], related: SeqRecord[]): Report {
    const kind = reportKindOf(trigger)!;
    switch (kind) {
      case 'restore':
        return buildRestoreReport(tenantId, group, related);
      case 'critical_operation':
        return buildCriticalOperationReport(tenantId, trigger, related);
      case 'rebuild':
        return buildSingleRecordReport(tenantId, kind, trigger, related);
      case 'temporary_unmute':
        return buildTemporaryUnmuteReport(tenantId, trigger, related);
      default: {
        const never: never = kind;
        throw new Error(`no builder for ${String(never)}`);
      }
    }
  }

  private weeklySummary(start: Date): ReportSummary {
    const inProgress = nextWeek(start).getTime() > this.now().getTime();
    return {
      id: `weekly:${weekId(start)}`,
      kind: 'weekly',
      title: `Weekly report ${weekId(start)}${inProgress ? ' (in progress)' : ''}`,
      periodStart: start.toISOString(),
      periodEnd: nextWeek(start).toISOString(),
      sourceEventId: '',
    };
  }

  private weekly(tenantId: string, start: Date, week: Awaited<ReturnType<ReportStore['week']>>): Report {
    const report = buildWeeklyReport(tenantId, week);
    if (nextWeek(start).getTime() <= this.now().getTime()) return report;
    return {
      ...report,
      title: `${report.title} (in progress)`,
      facts: [...report.facts, ['complete', `no: the week ends ${nextWeek(start).toISOString()}`]],
    };
  }
}
