import type { Pool, PoolClient } from 'pg';
import { quoteIdent } from '@tagguard/event-store';
import type { IntegrationMessage } from '@tagguard/messaging';

/** audit_records: one row per audited event (event_id unique), in arrival order (seq). */
export async function createAuditRecordsTable(pool: Pool, schema: string): Promise<void> {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  await pool.query(`CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.audit_records (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id uuid NOT NULL UNIQUE,
    tenant_id text NOT NULL,
    event_type text NOT NULL,
    actor_id text NOT NULL,
    subject_id text NOT NULL,
    correlation_id text NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    data jsonb NOT NULL)`);
  await pool.query(
    `CREATE INDEX IF NOT EXISTS audit_records_tenant ON ${quoteIdent(schema)}.audit_records (tenant_id, seq)`,
  );
}

export async function insertAuditRecord(
  tx: PoolClient,
  schema: string,
  message: IntegrationMessage,
): Promise<void> {
  await tx.query(
    `INSERT INTO ${quoteIdent(schema)}.audit_records (event_id, tenant_id, event_type, actor_id, subject_id, correlation_id, occurred_at, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      message.eventId,
      message.metadata.tenantId,
      message.type,
      message.metadata.actorId,
      message.key,
      message.metadata.correlationId,
      message.metadata.occurredAt,
      JSON.stringify(message.data),
    ],
  );
}
