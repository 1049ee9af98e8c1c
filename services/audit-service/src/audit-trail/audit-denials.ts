import { randomUUID } from 'node:crypto';
import { authenticate, type TokenVerifier } from '@tagguard/auth';
import { resourceOf, type DenialRecorder, type RefusedCall } from '@tagguard/grpc-runtime';
import type { Pool } from 'pg';
import { insertAuditRecords } from './audit-records.table';
import { departmentOf } from './directory-copy';

/**
 * audit-service's own refusals (a caller without a reader role) go straight into the caller's trail: the
 * trail is this service's store, so the record is written here rather than relayed (D103).
 */
export class AuditDenialRecorder implements DenialRecorder {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly verifier: TokenVerifier,
  ) {}

  async record(call: RefusedCall): Promise<void> {
    const principal = authenticate(call.metadata, this.verifier);
    const id = randomUUID();
    const now = new Date().toISOString();
    const tx = await this.pool.connect();
    try {
      await tx.query('BEGIN');
      const department = await departmentOf(tx, this.schema, principal.tenantId, principal.actorId);
      await insertAuditRecords(tx, this.schema, [
        {
          eventId: id,
          tenantId: principal.tenantId,
          eventType: 'access.denied.v1',
          actorId: principal.actorId,
          actorDepartmentId: department,
          subjectId: principal.tenantId,
          correlationId: id,
          occurredAt: now,
          recordedAt: now,
          data: {
            tenantId: principal.tenantId,
            actorId: principal.actorId,
            roles: principal.roles,
            rpc: call.rpc,
            resource: resourceOf(call.request),
            code: String(call.error.metadata.get('tg-error-code')[0] ?? 'PERMISSION_DENIED'),
            reason: call.error.message,
          },
        },
      ]);
      await tx.query('COMMIT');
    } catch (error) {
      await tx.query('ROLLBACK');
      throw error;
    } finally {
      tx.release();
    }
  }
}
