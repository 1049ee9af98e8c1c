import type { PoolClient, Pool } from 'pg';
import { DIRECTORY_EVENTS_TOPIC_V1, type EmployeeV1 } from '@tagguard/contracts';
import { quoteIdent } from '@tagguard/event-store';
import type { IntegrationMessage } from '@tagguard/messaging';

/**
 * audit-service's local copy of the directory, employee → department (decision D102), fed by sync-service's
 * directory events in the same transaction as their own records: a record is enriched with its actor's
 * department as the trail knew it when the record was written, without asking sync-service.
 */
export async function createDirectoryCopyTable(pool: Pool, schema: string): Promise<void> {
  await pool.query(`CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.directory_employees (
    tenant_id text NOT NULL, employee_id text NOT NULL, department_id text, revision bigint NOT NULL,
    PRIMARY KEY (tenant_id, employee_id))`);
}

/** Folds a directory event into the copy; an older revision than the one held changes nothing. */
export async function applyDirectoryEvent(
  tx: PoolClient,
  schema: string,
  message: IntegrationMessage,
): Promise<void> {
  if (message.topic !== DIRECTORY_EVENTS_TOPIC_V1 || message.type !== 'directory.employee_upserted.v1')
    return;
  const d = message.data as EmployeeV1 & { tenantId: string; revision: string };
  await tx.query(
    `INSERT INTO ${quoteIdent(schema)}.directory_employees AS e (tenant_id, employee_id, department_id, revision)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, employee_id) DO UPDATE SET department_id = EXCLUDED.department_id, revision = EXCLUDED.revision
     WHERE e.revision < EXCLUDED.revision`,
    [d.tenantId, d.employeeId, d.mainDepartmentId ?? d.departmentIds[0] ?? null, d.revision],
  );
}

/** The actor's department in the copy, or null for an actor the directory does not know (a service, a platform operator). */
export async function departmentOf(
  tx: PoolClient,
  schema: string,
  tenantId: string,
  actorId: string,
): Promise<string | null> {
  const { rows } = await tx.query<{ department_id: string | null }>(
    `SELECT department_id FROM ${quoteIdent(schema)}.directory_employees WHERE tenant_id = $1 AND employee_id = $2`,
    [tenantId, actorId],
  );
  return rows[0]?.department_id ?? null;
}
