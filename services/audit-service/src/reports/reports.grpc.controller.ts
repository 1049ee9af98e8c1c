import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { TokenVerifier } from '@tagguard/auth';
import { auditReportsV1 } from '@tagguard/contracts';
import { Pool } from 'pg';
import { AuditError, authorizeTrailReader } from '../audit-trail/audit-access';
import { AUDIT_SCHEMA } from '../audit-trail/audit-trail.tokens';
import { ReportError, type ReportKind } from './domain/report';
import { renderReport, type ReportFormat } from './domain/report-render';
import { ReportStore } from './report-store';
import { Reports, type ReportSummary } from './reports';

const { ReportKind: Kind, ReportFormat: Format } = auditReportsV1;
const KINDS: Record<auditReportsV1.ReportKind, ReportKind | undefined> = {
  [Kind.REPORT_KIND_UNSPECIFIED]: undefined,
  [Kind.REPORT_KIND_RESTORE]: 'restore',
  [Kind.REPORT_KIND_CRITICAL_OPERATION]: 'critical_operation',
  [Kind.REPORT_KIND_REBUILD]: 'rebuild',
  [Kind.REPORT_KIND_TEMPORARY_UNMUTE]: 'temporary_unmute',
  [Kind.REPORT_KIND_WEEKLY]: 'weekly',
  [Kind.UNRECOGNIZED]: undefined,
};
const FORMATS: Record<auditReportsV1.ReportFormat, ReportFormat | undefined> = {
  [Format.REPORT_FORMAT_UNSPECIFIED]: 'json',
  [Format.REPORT_FORMAT_JSON]: 'json',
  [Format.REPORT_FORMAT_CSV]: 'csv',
  [Format.REPORT_FORMAT_HTML]: 'html',
  [Format.UNRECOGNIZED]: undefined,
};
const PROTO_KIND = Object.fromEntries(Object.entries(KINDS).map(([k, v]) => [v, k])) as Record<
  ReportKind,
  auditReportsV1.ReportKind
>;

/** tagguard.audit.v1.ReportService: the trail's readers (auditor, security_officer, tenant_admin), own tenant only. */
@Controller()
@auditReportsV1.ReportServiceControllerMethods()
export class ReportsGrpcController implements auditReportsV1.ReportServiceController {
  private readonly reports: Reports;

  constructor(
    @Inject(Pool) pool: Pool,
    @Inject(AUDIT_SCHEMA) schema: string,
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
  ) {
    this.reports = new Reports(new ReportStore(pool, schema));
  }

  async listReports(
    request: auditReportsV1.ListReportsRequest,
    metadata?: Metadata,
  ): Promise<auditReportsV1.ListReportsResponse> {
    const { tenantId } = authorizeTrailReader(metadata, this.verifier);
    if (request.kind === Kind.UNRECOGNIZED)
      throw new AuditError('AUDIT.INVALID_ARGUMENT', 'is not a report kind', 'kind');
    const kind = KINDS[request.kind];
    const pageSize = request.pageSize === 0 ? 50 : request.pageSize;
    if (pageSize < 1 || pageSize > 200)
      throw new AuditError('AUDIT.INVALID_ARGUMENT', 'must be between 0 and 200', 'page_size');
    const after = request.pageToken ? Number(Buffer.from(request.pageToken, 'base64url').toString()) : 0;
    if (!Number.isSafeInteger(after) || after < 0)
      throw new AuditError('AUDIT.INVALID_ARGUMENT', 'is not a token returned by ListReports', 'page_token');
    const page =
      kind === 'weekly'
        ? await this.reports.listWeeks(tenantId, after, pageSize)
        : await this.reports.listOperations(tenantId, kind, after, pageSize);
    return {
      reports: page.reports.map(toSummary),
      nextPageToken: page.next === undefined ? '' : Buffer.from(String(page.next)).toString('base64url'),
    };
  }

  async getReport(
    request: auditReportsV1.GetReportRequest,
    metadata?: Metadata,
  ): Promise<auditReportsV1.GetReportResponse> {
    const { tenantId } = authorizeTrailReader(metadata, this.verifier);
    const format = FORMATS[request.format];
    if (!format) throw new AuditError('AUDIT.INVALID_ARGUMENT', 'is not a report format', 'format');
    try {
      const report = await this.reports.get(tenantId, request.reportId);
      const { contentType, content } = renderReport(report, format);
      return {
        report: toSummary(report),
        contentType,
        filename: `${report.id.replace(':', '-')}.${format}`,
        content,
      };
    } catch (error) {
      if (error instanceof ReportError)
        throw new AuditError(
          error.code === 'REPORT.NOT_FOUND' ? 'AUDIT.NOT_FOUND' : 'AUDIT.INVALID_ARGUMENT',
          error.message,
          'report_id',
        );
      throw error;
    }
  }
}

function toSummary(r: ReportSummary): auditReportsV1.ReportSummary {
  return {
    reportId: r.id,
    kind: PROTO_KIND[r.kind],
    title: r.title,
    periodStart: r.periodStart,
    periodEnd: r.periodEnd,
    sourceEventId: r.sourceEventId,
  };
}
