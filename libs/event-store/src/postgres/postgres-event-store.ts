import { EventEmitter } from 'node:events';
import { Client, Pool, type PoolClient, type PoolConfig } from 'pg';
import { type EventEnvelope, type GlobalPosition, type RecordedEvent, START } from '../envelope';
import { EventIdConflictError, StreamNotFoundError, WrongExpectedRevisionError } from '../errors';
import type {
  AppendResult,
  EventFilter,
  EventStore,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { categoryOf } from '../stream-name';
import { pollingSubscription } from '../polling-subscription';
import { withSpan } from '../tracing';
import { appendSql, notifyChannel, quoteIdent, schemaDdl } from './schema';

export interface PostgresEventStoreOptions {
  connectionString: string;
  /** SQL schema holding the streams and events tables. */
  schema?: string;
  poolSize?: number;
  /** Fallback poll interval of subscriptions; NOTIFY wakes them sooner. */
  pollIntervalMs?: number;
  /** LISTEN for other processes' appends (default on); off, subscriptions wake on this process's
   * appends and poll for the rest. */
  listen?: boolean;
  /** Appends of this process are announced to others by at most one NOTIFY per this many ms (default 10). */
  notifyCoalesceMs?: number;
  /** An idle pooled connection broke (server restart, admin terminate): the pool drops it and the next
   * query opens another. Without a listener node would crash the process on it. Default: a warning. */
  onIdleConnectionError?: (error: Error) => void;
}

interface EventRow {
  transaction_id: string;
  global_position: string;
  event_id: string;
  stream_id: string;
  stream_revision: string;
  event_type: string;
  schema_version: number;
  data: unknown;
  metadata: EventEnvelope['metadata'];
  recorded_at: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// transaction_id leaves as text (xid8 has no JS type); ORDER BY must name the table's column (e.*),
// or PostgreSQL sorts by that text output column and "1000" comes before "999".
const COLUMNS =
  'transaction_id::text, global_position, event_id::text, stream_id, stream_revision, event_type, schema_version, data, metadata, recorded_at';

export class PostgresEventStore implements EventStore {
  private readonly pool: Pool;
  private readonly schema: string;
  private readonly s: string;
  private readonly channel: string;
  private readonly wake = new EventEmitter();
  private listener?: Client;
  private notifyTimer?: NodeJS.Timeout;
  private readonly statements: Record<string, string> = {};
  private closing = false;
  private readonly subscriptions = new Set<Subscription>();

  private constructor(private readonly options: PostgresEventStoreOptions) {
    this.schema = options.schema ?? 'eventstore';
    this.s = quoteIdent(this.schema);
    this.channel = notifyChannel(this.schema);
    const config: PoolConfig = { connectionString: options.connectionString, max: options.poolSize ?? 10 };
    this.pool = new Pool(config);
    this.pool.on('error', options.onIdleConnectionError ?? warnIdleConnectionError);
    this.wake.setMaxListeners(0);
  }

  /** Connects, creates the schema if needed, and starts listening for appends. */
  static async connect(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(options);
    await store.migrate();
    if (options.listen !== false) await store.startListening();
    return store;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // Serialise concurrent first starts of several services on one database.
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [`tagguard.eventstore.${this.schema}`]);
      await client.query(schemaDdl(this.schema));
      await analyzeIfNeverAnalyzed(client, this.s);
    } finally {
      await client
        .query('SELECT pg_advisory_unlock(hashtext($1))', [`tagguard.eventstore.${this.schema}`])
        .catch(() => undefined);
      client.release();
    }
  }

  private async startListening(): Promise<void> {
    try {
      const client = new Client({ connectionString: this.options.connectionString });
      await client.connect();
      client.on('notification', () => this.wake.emit('appended'));
      client.on('error', () => undefined);
      await client.query(`LISTEN ${this.channel}`);
      this.listener = client;
    } catch {
      this.listener = undefined; // polling alone still delivers everything
    }
  }

  append(streamId: string, events: EventEnvelope[], expected: ExpectedRevision): Promise<AppendResult> {
    return withSpan(
      'eventstore.append',
      { 'tagguard.stream': streamId, 'tagguard.event_count': events.length },
      () => this.appendOnce(streamId, events, expected),
    );
  }

  private async appendOnce(
    streamId: string,
    events: EventEnvelope[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    for (const e of events) if (!UUID.test(e.id)) throw new Error(`event id "${e.id}" is not a UUID`);
    const ids = events.map((e) => e.id);
    const creating = expected === 'no_stream' || expected === 'any';
    const single = events.length === 1;
    const column = <T>(pick: (e: EventEnvelope) => T): T | T[] =>
      single ? pick(events[0]!) : events.map(pick);
    const statement = `${creating ? 'creating' : 'existing'}_${single ? 'one' : 'many'}`;

    try {
      // Named: each pooled connection parses and plans the statement once, then only binds and runs it.
      const { rows } = await this.pool.query<{ revision: string; tx: string; pos: string }>({
        name: `${this.schema}.append_${statement}`,
        text: (this.statements[statement] ??= appendSql(this.schema, { creating, single })),
        values: [
          streamId,
          categoryOf(streamId),
          creating ? expected : typeof expected === 'bigint' ? String(expected) : null,
          column((e) => e.id),
          column((e) => e.type),
          column((e) => e.schemaVersion),
          column((e) => JSON.stringify(e.data)),
          column((e) => JSON.stringify(e.metadata)),
        ],
      });
      if (rows.length > 0) {
        this.appended();
        const last = rows.reduce((a, b) => (BigInt(b.revision) > BigInt(a.revision) ? b : a));
        return {
          nextRevision: BigInt(last.revision),
          position: { commit: BigInt(last.tx), prepare: BigInt(last.pos) },
        };
      }
    } catch (error) {
      // A concurrent retry with the same ids won the race: answer as the retry it is.
      if (!isUniqueViolation(error, 'events_event_id_unique')) throw error;
      const already = await this.idempotentResult(streamId, ids);
      if (already) return already;
      throw new EventIdConflictError(ids[0]!);
    }
    // Nothing written: a retry whose stream moved on since (return its result), or a stale expectation.
    const already = await this.idempotentResult(streamId, ids);
    if (already) return already;
    const { rows } = await this.pool.query<{ revision: string; deleted: boolean }>(
      `SELECT revision, deleted FROM ${this.s}.streams WHERE stream_id = $1`,
      [streamId],
    );
    const actual = rows[0] && !rows[0].deleted ? BigInt(rows[0].revision) : 'no_stream';
    throw new WrongExpectedRevisionError(streamId, String(expected), actual);
  }

  /**
   * Wakes this process's subscriptions at once and, at most once per `notifyCoalesceMs`, other
   * processes' through NOTIFY. The NOTIFY runs outside every append transaction: a NOTIFY in the
   * appending transaction takes a database-wide lock at commit, which concurrent appends queued behind.
   */
  private appended(): void {
    this.wake.emit('appended');
    if (this.notifyTimer || this.closing) return;
    this.notifyTimer = setTimeout(() => void this.notifyOthers(), this.options.notifyCoalesceMs ?? 10);
  }

  private async notifyOthers(): Promise<void> {
    if (!this.notifyTimer) return;
    clearTimeout(this.notifyTimer);
    this.notifyTimer = undefined;
    // Again here too: a wake-up read at once may have found the append still hidden behind an older
    // transaction (gap-safe visibility); this one, a window later, usually finds it visible.
    this.wake.emit('appended');
    await this.pool
      .query({ name: 'eventstore.notify', text: 'SELECT pg_notify($1, $2)', values: [this.channel, ''] })
      .catch(() => undefined); // a lost wake-up only delays subscribers until their next poll
  }

  /** The stored result when every id is already in this stream, in order; a conflict when only some are. */
  private async idempotentResult(streamId: string, ids: string[]): Promise<AppendResult | undefined> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.s}.events WHERE event_id = ANY($1::uuid[]) ORDER BY stream_revision`,
      [ids],
    );
    if (rows.length === 0) return undefined;
    const matches =
      rows.length === ids.length &&
      rows.every(
        (row, i) =>
          row.stream_id === streamId &&
          row.event_id === ids[i]!.toLowerCase() &&
          (i === 0 || BigInt(row.stream_revision) === BigInt(rows[i - 1]!.stream_revision) + 1n),
      );
    if (!matches) throw new EventIdConflictError(rows[0]!.event_id);
    const last = rows[rows.length - 1]!;
    return {
      nextRevision: BigInt(last.stream_revision),
      position: { commit: BigInt(last.transaction_id), prepare: BigInt(last.global_position) },
    };
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return withSpan('eventstore.read_stream', { 'tagguard.stream': streamId }, async () => {
      const stream = await this.pool.query<{ truncate_before: string; deleted: boolean }>(
        `SELECT truncate_before, deleted FROM ${this.s}.streams WHERE stream_id = $1`,
        [streamId],
      );
      const row = stream.rows[0];
      if (!row || row.deleted) throw new StreamNotFoundError(streamId);
      const backwards = options.direction === 'backwards';
      const where = ['stream_id = $1', 'stream_revision >= $2'];
      const params: unknown[] = [streamId, row.truncate_before];
      if (options.fromRevision !== undefined) {
        params.push(String(options.fromRevision));
        where.push(`stream_revision ${backwards ? '<=' : '>='} $${params.length}`);
      }
      if (options.toRevision !== undefined) {
        params.push(String(options.toRevision));
        where.push(`stream_revision ${backwards ? '>=' : '<='} $${params.length}`);
      }
      if (options.toTimestamp) {
        params.push(options.toTimestamp);
        where.push(`recorded_at <= $${params.length}`);
      }
      params.push(options.maxCount ?? null);
      const { rows } = await this.pool.query<EventRow>(
        `SELECT ${COLUMNS} FROM ${this.s}.events WHERE ${where.join(' AND ')}
         ORDER BY stream_revision ${backwards ? 'DESC' : 'ASC'} LIMIT $${params.length}`,
        params,
      );
      return rows.map(toRecorded);
    });
  }

  readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return withSpan('eventstore.read_all', {}, async () => {
      const { text, values } = readAllSql(this.s, options);
      const { rows } = await this.pool.query<EventRow>(text, values);
      return rows.map(toRecorded);
    });
  }

  async count(options: Omit<ReadAllOptions, 'maxCount'> = {}): Promise<number> {
    const { where, params } = globalRange(options);
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.s}.events e WHERE ${where.join(' AND ')}`,
      params,
    );
    return Number(rows[0]!.n);
  }

  async headPosition(): Promise<GlobalPosition> {
    const { rows } = await this.pool.query<{ transaction_id: string; global_position: string }>(
      `SELECT e.transaction_id::text, e.global_position FROM ${this.s}.events e
       WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1`,
    );
    const row = rows[0];
    return row ? { commit: BigInt(row.transaction_id), prepare: BigInt(row.global_position) } : START;
  }

  subscribe(options: SubscribeOptions): Subscription {
    const subscription = pollingSubscription({
      ...options,
      read: (after, maxCount) =>
        this.readAll({ after, maxCount, ...(options.filter ? { filter: options.filter } : {}) }),
      wake: this.wake,
      pollIntervalMs: this.options.pollIntervalMs ?? 500,
    });
    this.subscriptions.add(subscription);
    void subscription.done.catch(() => undefined).finally(() => this.subscriptions.delete(subscription));
    return subscription;
  }

  async deleteStream(streamId: string, expected: ExpectedRevision = 'any'): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ revision: string; deleted: boolean }>(
        `SELECT revision, deleted FROM ${this.s}.streams WHERE stream_id = $1 FOR UPDATE`,
        [streamId],
      );
      const row = rows[0];
      if (!row || row.deleted) throw new StreamNotFoundError(streamId);
      checkExpected(streamId, expected, BigInt(row.revision));
      await client.query(
        `UPDATE ${this.s}.streams SET deleted = true, truncate_before = revision + 1 WHERE stream_id = $1`,
        [streamId],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.notifyOthers();
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }
}

function checkExpected(streamId: string, expected: ExpectedRevision, actual: bigint | 'no_stream'): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && actual === 'no_stream') ||
    (expected === 'stream_exists' && actual !== 'no_stream') ||
    (typeof expected === 'bigint' && actual === expected);
  if (!ok) throw new WrongExpectedRevisionError(streamId, String(expected), actual);
}

/**
 * A table filled by a bulk import has no statistics until autoanalyze comes round (up to a minute or
 * more after the import commits). Meanwhile the planner guesses a handful of rows per category and
 * answers every catch-up batch of a filtered read with a bitmap scan of the whole category plus a sort,
 * so catching up costs the square of the backlog. A service starting then analyzes first.
 */
async function analyzeIfNeverAnalyzed(client: PoolClient, s: string): Promise<void> {
  const { rows } = await client.query<{ unanalyzed: boolean }>(
    `SELECT c.reltuples < 0 AND EXISTS (SELECT 1 FROM ${s}.events) AS unanalyzed
     FROM pg_class c WHERE c.oid = '${s}.events'::regclass`,
  );
  if (rows[0]?.unanalyzed) await client.query(`ANALYZE ${s}.events, ${s}.streams`);
}

/** The statement of `readAll`: the global range, filtered, in global order. Exported for its plan's test. */
export function readAllSql(s: string, options: ReadAllOptions): { text: string; values: unknown[] } {
  const { where, params } = globalRange(options);
  params.push(options.maxCount ?? 1000);
  return {
    text: `SELECT ${COLUMNS} FROM ${s}.events e WHERE ${where.join(' AND ')}
           ORDER BY e.transaction_id, e.global_position LIMIT $${params.length}`,
    values: params,
  };
}

/** The WHERE of a global-log read: after `after`, up to `to`, committed below every open writer, filtered. */
function globalRange(options: Omit<ReadAllOptions, 'maxCount'>): { where: string[]; params: unknown[] } {
  const after = options.after ?? START;
  const params: unknown[] = [String(after.commit), String(after.prepare)];
  const where = [
    '(transaction_id, global_position) > ($1::text::xid8, $2::bigint)',
    'transaction_id < pg_snapshot_xmin(pg_current_snapshot())',
  ];
  if (options.to) {
    params.push(String(options.to.commit), String(options.to.prepare));
    where.push(
      `(transaction_id, global_position) <= ($${params.length - 1}::text::xid8, $${params.length}::bigint)`,
    );
  }
  addFilter(where, params, options.filter);
  return { where, params };
}

function addFilter(where: string[], params: unknown[], filter: EventFilter | undefined): void {
  if (filter?.categories?.length) {
    params.push(filter.categories);
    where.push(`category = ANY($${params.length}::text[])`);
  }
  if (filter?.eventTypes?.length) {
    params.push(filter.eventTypes);
    where.push(`event_type = ANY($${params.length}::text[])`);
  }
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.event_type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    streamId: row.stream_id,
    revision: BigInt(row.stream_revision),
    position: { commit: BigInt(row.transaction_id), prepare: BigInt(row.global_position) },
    recordedAt: row.recorded_at,
  };
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === '23505' && e.constraint === constraint;
}

function warnIdleConnectionError(error: Error): void {
  process.emitWarning(`event store: an idle database connection broke (${error.message}); the next query reconnects`);
}
