/**
 * Events are ordered by (transaction_id, global_position). Readers only see rows whose writing
 * transaction is older than every transaction still running (pg_snapshot_xmin), so a slow transaction
 * that took a lower sequence number can never be skipped: its rows become visible before any row of a
 * later transaction does. That is the classic sequence-gap problem of SQL event stores, solved without
 * serialising writers.
 *
 * Databases created before appends became plain statements also hold a PL/pgSQL `append_events`
 * function; it is left alone (an older process may still call it during an upgrade, and it locks the
 * same `streams` row the statements below do, so both kinds of writer keep each other's revisions).
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

/**
 * The one statement of an append: write the stream row once (its new revision, under its row lock),
 * then the events numbered from it. $1 stream, $2 category, $3 the expectation, $4..$8 the events
 * (scalars for one event, parallel arrays for several: array encoding and unnest cost a third of a
 * single-event append). The event_id unique constraint makes a retried append fail whole (23505),
 * which the adapter answers with the stored result. No row back: the expectation did not hold.
 *
 * - creating (expected `no_stream` / `any`, $3 the text): insert the stream row, or move it on when
 *   $3 is `any` or the stream is soft-deleted (which counts as absent).
 * - existing (expected `stream_exists`, $3 null, or an exact revision, $3): only an existing stream
 *   moves on; under READ COMMITTED a concurrent writer's newer row version is re-checked, so exactly
 *   one of several writers with the same expectation wins.
 */
export function appendSql(schema: string, shape: { creating: boolean; single: boolean }): string {
  const s = quoteIdent(schema);
  const n = shape.single ? '1' : 'cardinality($4::uuid[])';
  const stream = shape.creating
    ? `INSERT INTO ${s}.streams AS st (stream_id, category, revision, deleted)
       VALUES ($1, $2, ${n} - 1, false)
       ON CONFLICT (stream_id) DO UPDATE SET revision = st.revision + ${n}, deleted = false
         WHERE $3::text = 'any' OR st.deleted
       RETURNING st.revision`
    : `UPDATE ${s}.streams AS st SET revision = st.revision + ${n}
       WHERE st.stream_id = $1 AND NOT st.deleted AND ($3::bigint IS NULL OR st.revision = $3::bigint)
       RETURNING st.revision`;
  const events = shape.single
    ? `SELECT $4::uuid, $1, $2, stream.revision, $5::text, $6::int, $7::jsonb, $8::jsonb FROM stream`
    : `SELECT i.id, $1, $2, stream.revision - ${n} + i.n, i.t, i.v, i.d, i.m
       FROM stream, unnest($4::uuid[], $5::text[], $6::int[], $7::jsonb[], $8::jsonb[]) WITH ORDINALITY AS i(id, t, v, d, m, n)`;
  return `WITH stream AS (${stream})
    INSERT INTO ${s}.events (event_id, stream_id, category, stream_revision, event_type, schema_version, data, metadata)
    ${events}
    RETURNING stream_revision AS revision, transaction_id::text AS tx, global_position AS pos`;
}

export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid SQL identifier "${name}"`);
  return `"${name}"`;
}

export function notifyChannel(schema: string): string {
  return `${schema}_appended`;
}

/**
 * CREATE SCHEMA IF NOT EXISTS that two starters can run at once: PostgreSQL checks "exists" and then inserts
 * into pg_namespace, so the loser of a race fails on its unique index (23505) — seen when one service's
 * components created their schema together at start. The schema exists then, which is all the caller asked.
 * Not for use inside a transaction (the failed statement would abort it).
 */
export async function createSchemaIfMissing(
  db: { query(sql: string): Promise<unknown> },
  schema: string,
): Promise<void> {
  try {
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== '23505' && code !== '42P06') throw error;
  }
}
