/**
 * Events are ordered by (transaction_id, global_position). Readers only see rows whose writing
 * transaction is older than every transaction still running (pg_snapshot_xmin), so a slow transaction
 * that took a lower sequence number can never be skipped: its rows become visible before any row of a
 * later transaction does. That is the classic sequence-gap problem of SQL event stores, solved without
 * serialising writers.
 */
export function schemaDdl(schema: string): string {
  const s = quoteIdent(schema);
  return `
    CREATE SCHEMA IF NOT EXISTS ${s};
    CREATE TABLE IF NOT EXISTS ${s}.streams (
      stream_id        text PRIMARY KEY,
      category         text NOT NULL,
      revision         bigint NOT NULL,
      truncate_before  bigint NOT NULL DEFAULT 0,
      deleted          boolean NOT NULL DEFAULT false
    );
    CREATE TABLE IF NOT EXISTS ${s}.events (
      transaction_id   xid8 NOT NULL DEFAULT pg_current_xact_id(),
      global_position  bigint GENERATED ALWAYS AS IDENTITY,
      event_id         uuid NOT NULL,
      stream_id        text NOT NULL,
      category         text NOT NULL,
      stream_revision  bigint NOT NULL,
      event_type       text NOT NULL,
      schema_version   integer NOT NULL,
      data             jsonb NOT NULL,
      metadata         jsonb NOT NULL,
      -- Milliseconds: the precision of the Date a caller asks "as of" with.
      recorded_at      timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
      PRIMARY KEY (transaction_id, global_position),
      CONSTRAINT events_event_id_unique UNIQUE (event_id),
      CONSTRAINT events_stream_revision_unique UNIQUE (stream_id, stream_revision)
    );
    CREATE INDEX IF NOT EXISTS events_category_order ON ${s}.events (category, transaction_id, global_position);
    CREATE INDEX IF NOT EXISTS events_type_order ON ${s}.events (event_type, transaction_id, global_position);
  `;
}

export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid SQL identifier "${name}"`);
  return `"${name}"`;
}

export function notifyChannel(schema: string): string {
  return `${schema}_appended`;
}
