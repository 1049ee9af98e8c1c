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

    -- One round trip per append: idempotency check, optimistic check under a row lock, insert, notify.
    CREATE OR REPLACE FUNCTION ${s}.append_events(
      p_stream text, p_category text, p_expected text,
      p_ids uuid[], p_types text[], p_versions integer[], p_data jsonb[], p_metadata jsonb[]
    ) RETURNS TABLE (outcome text, revision bigint, tx text, pos bigint)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_revision bigint;
      v_deleted boolean;
      v_exists boolean;
    BEGIN
      IF EXISTS (SELECT 1 FROM ${s}.events e WHERE e.event_id = ANY(p_ids)) THEN
        RETURN QUERY SELECT 'seen'::text, NULL::bigint, NULL::text, NULL::bigint;
        RETURN;
      END IF;
      INSERT INTO ${s}.streams AS st (stream_id, category, revision, deleted)
        VALUES (p_stream, p_category, -1, true) ON CONFLICT (stream_id) DO NOTHING;
      SELECT st.revision, st.deleted INTO v_revision, v_deleted FROM ${s}.streams st WHERE st.stream_id = p_stream FOR UPDATE;
      v_exists := NOT v_deleted;
      IF NOT (p_expected = 'any'
          OR (p_expected = 'no_stream' AND NOT v_exists)
          OR (p_expected = 'stream_exists' AND v_exists)
          OR (p_expected ~ '^[0-9]+$' AND v_exists AND v_revision = p_expected::bigint)) THEN
        RETURN QUERY SELECT 'wrong_expected'::text, CASE WHEN v_exists THEN v_revision END, NULL::text, NULL::bigint;
        RETURN;
      END IF;
      RETURN QUERY
        WITH inserted AS (
          INSERT INTO ${s}.events AS ev (event_id, stream_id, category, stream_revision, event_type, schema_version, data, metadata)
          SELECT i.id, p_stream, p_category, v_revision + i.n, i.t, i.v, i.d, i.m
          FROM unnest(p_ids, p_types, p_versions, p_data, p_metadata) WITH ORDINALITY AS i(id, t, v, d, m, n)
          RETURNING ev.stream_revision, ev.transaction_id, ev.global_position
        )
        SELECT 'ok'::text, max(inserted.stream_revision), max(inserted.transaction_id)::text, max(inserted.global_position)
        FROM inserted;
      UPDATE ${s}.streams st SET revision = v_revision + array_length(p_ids, 1), deleted = false WHERE st.stream_id = p_stream;
      PERFORM pg_notify('${notifyChannel(schema)}', '');
    END;
    $fn$;
  `;
}

export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid SQL identifier "${name}"`);
  return `"${name}"`;
}

export function notifyChannel(schema: string): string {
  return `${schema}_appended`;
}
