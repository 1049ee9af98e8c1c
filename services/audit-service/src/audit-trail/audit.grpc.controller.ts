import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { authenticate, TokenVerifier } from '@tagguard/auth';
import { auditV1 } from '@tagguard/contracts';
import { quoteIdent } from '@tagguard/event-store';
import { Pool } from 'pg';
import { AUDIT_SCHEMA } from './audit-trail.tokens';

class AuditError extends Error {
  constructor(
    readonly code: 'AUDIT.INVALID_ARGUMENT',
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

interface Row {
  seq: string;
  event_id: string;
  event_type: string;
  actor_id: string;
  subject_id: string;
  correlation_id: string;
  occurred_at: Date;
  recorded_at: Date;
  data: unknown;
}

@Controller()
@auditV1.AuditServiceControllerMethods()
export class AuditGrpcController implements auditV1.AuditServiceController {
  constructor(
    @Inject(Pool) private readonly pool: Pool,
    @Inject(AUDIT_SCHEMA) private readonly schema: string,
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
  ) {}

  async listAuditRecords(
    request: auditV1.ListAuditRecordsRequest,
    metadata?: Metadata,
  ): Promise<auditV1.ListAuditRecordsResponse> {
    const { tenantId } = authenticate(metadata, this.verifier);
    const pageSize = request.pageSize === 0 ? 100 : request.pageSize;
    if (pageSize < 1 || pageSize > 500)
      throw new AuditError('AUDIT.INVALID_ARGUMENT', 'must be between 0 and 500', 'page_size');
    const after = request.pageToken ? Number(Buffer.from(request.pageToken, 'base64url').toString()) : 0;
    if (!Number.isSafeInteger(after) || after < 0)
      throw new AuditError(
        'AUDIT.INVALID_ARGUMENT',
        'is not a token returned by ListAuditRecords',
        'page_token',
      );
    const { rows } = await this.pool.query<Row>(
      `SELECT seq, event_id::text, event_type, actor_id, subject_id, correlation_id, occurred_at, recorded_at, data
       FROM ${quoteIdent(this.schema)}.audit_records
       WHERE tenant_id = $1 AND seq > $2 AND ($3 = '' OR subject_id = $3)
       ORDER BY seq LIMIT $4`,
      [tenantId, after, request.subjectId, pageSize + 1],
    );
    const page = rows.slice(0, pageSize);
    return {
      records: page.map((r) => ({
        eventId: r.event_id,
        eventType: r.event_type,
        actorId: r.actor_id,
        subjectId: r.subject_id,
        correlationId: r.correlation_id,
        occurredAt: r.occurred_at.toISOString(),
        recordedAt: r.recorded_at.toISOString(),
        dataJson: JSON.stringify(r.data),
      })),
      nextPageToken:
        rows.length > pageSize ? Buffer.from(page[page.length - 1]!.seq).toString('base64url') : '',
    };
  }
}
