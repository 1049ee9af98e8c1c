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

// $1 stream, $2 category, $4..$8 the events as parallel arrays. The stream row is written once (its new
// revision), the events are numbered from it, and the event_id unique constraint makes a retried append
// fail as a whole (23505), which the adapter answers with the stored result. No row back: the expected
// revision did not hold (or the ids are a retry); the adapter looks which.
const appendEvents = (s: string) => `
  appended AS (
    INSERT INTO ${s}.events AS ev (event_id, stream_id, category, stream_revision, event_type, schema_version, data, metadata)
    SELECT i.id, $1, $2, stream.revision - cardinality($4::uuid[]) + i.n, i.t, i.v, i.d, i.m
    FROM stream, unnest($4::uuid[], $5::text[], $6::int[], $7::jsonb[], $8::jsonb[]) WITH ORDINALITY AS i(id, t, v, d, m, n)
    RETURNING ev.stream_revision, ev.transaction_id, ev.global_position
  )
  SELECT max(stream_revision) AS revision, min(transaction_id::text) AS tx, max(global_position) AS pos FROM appended`;

/**
 * Expected `no_stream` ($3 = 'no_stream') or `any` ($3 = 'any'): create the stream row or, under its row
 * lock, move it on when the expectation holds (a soft-deleted stream counts as absent).
 */
export function appendCreatingSql(schema: string): string {
  const s = quoteIdent(schema);
  return `WITH stream AS (
    INSERT INTO ${s}.streams AS st (stream_id, category, revision, deleted)
    VALUES ($1, $2, cardinality($4::uuid[]) - 1, false)
    ON CONFLICT (stream_id) DO UPDATE SET revision = st.revision + cardinality($4::uuid[]), deleted = false
      WHERE $3::text = 'any' OR st.deleted
    RETURNING st.revision
  ),${appendEvents(s)}`;
}

/**
 * Expected `stream_exists` ($3 null) or an exact revision ($3): only an existing stream moves on. Under
 * READ COMMITTED a concurrent writer's newer row version is re-checked, so exactly one of them wins.
 */
export function appendExistingSql(schema: string): string {
  const s = quoteIdent(schema);
  return `WITH stream AS (
    UPDATE ${s}.streams AS st SET revision = st.revision + cardinality($4::uuid[])
    WHERE st.stream_id = $1 AND NOT st.deleted AND ($3::bigint IS NULL OR st.revision = $3::bigint)
    RETURNING st.revision
  ),${appendEvents(s)}`;
}

export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid SQL identifier "${name}"`);
  return `"${name}"`;
}

export function notifyChannel(schema: string): string {
  return `${schema}_appended`;
}
