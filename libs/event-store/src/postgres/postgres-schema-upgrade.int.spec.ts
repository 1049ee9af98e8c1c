import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { testInfra } from '@tagguard/testing';
import { WrongExpectedRevisionError } from '../errors';
import { anEvent } from '../testing/event-store.contract';
import { PostgresEventStore } from './postgres-event-store';

// The schema exactly as the adapter created it before appends became one prepared statement (commit
// 80cb412): the same tables plus the PL/pgSQL append_events, whose refused appends left a placeholder
// stream row behind (revision -1, deleted).
const legacyDdl = (s: string) => `
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
    recorded_at      timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
    PRIMARY KEY (transaction_id, global_position),
    CONSTRAINT events_event_id_unique UNIQUE (event_id),
    CONSTRAINT events_stream_revision_unique UNIQUE (stream_id, stream_revision)
  );
  CREATE INDEX IF NOT EXISTS events_category_order ON ${s}.events (category, transaction_id, global_position);
  CREATE INDEX IF NOT EXISTS events_type_order ON ${s}.events (event_type, transaction_id, global_position);
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
    PERFORM pg_notify('appended', '');
  END;
  $fn$;
`;

describe('PostgresEventStore opens a database created by the previous schema', () => {
  let schema: string;
  let legacy: Client;
  let store: PostgresEventStore;
  const legacyAppend = (stream: string, events: ReturnType<typeof anEvent>[], expected: string) =>
    legacy.query<{ outcome: string; revision: string | null }>(
      `SELECT outcome, revision FROM "${schema}".append_events($1, $2, $3, $4::uuid[], $5::text[], $6::int[], $7::jsonb[], $8::jsonb[])`,
      [
        stream,
        stream.slice(0, stream.indexOf('-')),
        expected,
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map((e) => e.schemaVersion),
        events.map((e) => JSON.stringify(e.data)),
        events.map((e) => JSON.stringify(e.metadata)),
      ],
    );

  beforeAll(async () => {
    schema = `es_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    legacy = new Client({ connectionString: testInfra().postgresUrl });
    await legacy.connect();
    await legacy.query(legacyDdl(`"${schema}"`));
  });
  afterAll(async () => {
    await store?.close();
    await legacy.end();
  });

  it('reads what the old writer wrote and continues its streams, placeholder rows included', async () => {
    const old = [anEvent('TagCreated'), anEvent('TagRenamed')];
    expect((await legacyAppend('tag-1', old, 'no_stream')).rows[0]!.outcome).toBe('ok');
    // A refused append of the old function left the stream row behind as a placeholder.
    expect((await legacyAppend('tag-2', [anEvent()], 'stream_exists')).rows[0]!.outcome).toBe(
      'wrong_expected',
    );
    expect(
      (await legacy.query(`SELECT revision, deleted FROM "${schema}".streams WHERE stream_id = 'tag-2'`))
        .rows,
    ).toEqual([{ revision: '-1', deleted: true }]);

    store = await PostgresEventStore.connect({ connectionString: testInfra().postgresUrl, schema });

    expect((await store.readStream('tag-1')).map((e) => [e.id, e.revision])).toEqual([
      [old[0]!.id, 0n],
      [old[1]!.id, 1n],
    ]);
    await expect(store.append('tag-1', [anEvent()], 0n)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    await expect(store.append('tag-1', [anEvent('TagMoved')], 1n)).resolves.toMatchObject({
      nextRevision: 2n,
    });
    // The placeholder is an absent stream: it starts at revision 0.
    await expect(store.append('tag-2', [anEvent()], 'stream_exists')).rejects.toBeInstanceOf(
      WrongExpectedRevisionError,
    );
    await expect(store.append('tag-2', [anEvent()], 'no_stream')).resolves.toMatchObject({
      nextRevision: 0n,
    });
    // A retry of an append the old writer made answers with its result.
    await expect(store.append('tag-1', old, 'no_stream')).resolves.toMatchObject({ nextRevision: 1n });
    expect((await store.readAll()).map((e) => [e.streamId, e.revision])).toEqual([
      ['tag-1', 0n],
      ['tag-1', 1n],
      ['tag-1', 2n],
      ['tag-2', 0n],
    ]);
  });

  it('keeps revisions consistent with an old process still appending through append_events', async () => {
    await expect(store.append('tag-3', [anEvent()], 'no_stream')).resolves.toMatchObject({
      nextRevision: 0n,
    });
    expect((await legacyAppend('tag-3', [anEvent()], '0')).rows[0]).toEqual({ outcome: 'ok', revision: '1' });
    await expect(store.append('tag-3', [anEvent()], 0n)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    await expect(store.append('tag-3', [anEvent(), anEvent()], 1n)).resolves.toMatchObject({
      nextRevision: 3n,
    });
    expect((await legacyAppend('tag-3', [anEvent()], '1')).rows[0]).toEqual({
      outcome: 'wrong_expected',
      revision: '3',
    });
    expect((await store.readStream('tag-3')).map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n]);
  });
});
