import { comparePositions, quoteIdent, type EventStore, type GlobalPosition } from '@tagguard/event-store';
import type { CheckpointStore } from '@tagguard/messaging';
import { PostgresCheckpointStore } from '@tagguard/messaging';
import type { PoolClient } from 'pg';
import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import {
  ApprovalView,
  FollowUpTaskView,
  ProjectedStream,
  RevertedChangeView,
  SensitiveOperationView,
  TagMemberView,
  TagNodeView,
} from '../projections/catalog-view/catalog-view.entities';
import { CATALOG_VIEW, CatalogViewProjection } from '../projections/catalog-view/catalog-view.projection';
import { CatalogViewModel } from '../projections/catalog-view/catalog-view.reducer';
import { openReadModel } from '../read-model';
import { TAG_SERVICE_CATEGORIES } from '../streams';
import { copyRows } from './copy-rows';
import { serviceLogger } from '../../service-logger';

export interface RebuildProgress {
  phase: 'replaying' | 'verifying' | 'swapped' | 'kept_live' | 'cancelled' | 'failed';
  eventsDone: number;
  eventsTotal: number;
  eventsPerSecond: number;
  etaSeconds: number;
  checks: { table: string; liveRows: number; rebuiltRows: number; equal: boolean }[];
  message: string;
  /** Seconds per finished step: fold, load, catch_up, verify, swap. */
  stepSeconds: Record<string, number>;
}

const TABLES: [string, EntityTarget<ObjectLiteral>][] = [
  ['tag_nodes', TagNodeView],
  ['tag_members', TagMemberView],
  ['tag_approvals', ApprovalView],
  ['sensitive_operations', SensitiveOperationView],
  ['reverted_changes', RevertedChangeView],
  ['follow_up_tasks', FollowUpTaskView],
  ['projected_streams', ProjectedStream],
];
const BATCH = 5_000;
const BIG_TABLE = 20_000;

/**
 * 强制初始化: rebuild the read models from position 0 into a shadow schema while the live ones keep
 * serving, then swap. The bulk of the history is folded in memory (CatalogViewModel) and bulk-inserted;
 * then the live projection pauses, the shadow catches up to exactly its position through the same
 * incremental code, the tables are compared by row checksum, and — if equal, or if the caller accepts
 * the differences — the shadow tables take the live tables' place in one transaction. Cancelling drops
 * the shadow and leaves the live tables as they were. One rebuild at a time per process.
 */
export class ReadModelRebuilder {
  private running = false;
  private readonly logger = serviceLogger('ReadModelRebuilder');

  constructor(
    private readonly store: EventStore,
    private readonly live: DataSource,
    private readonly schema: string,
    private readonly liveProjection: CatalogViewProjection,
    private readonly liveCheckpoints: CheckpointStore,
    /** Only the instance holding the lease applies events; elsewhere the live tables move under a rebuild. */
    private readonly isLeader: () => boolean = () => true,
  ) {}

  async rebuild(
    options: { verifyOnly: boolean; acceptDifferences: boolean },
    onProgress: (progress: RebuildProgress) => void,
    signal: AbortSignal,
  ): Promise<RebuildProgress> {
    if (this.running)
      throw Object.assign(new Error('a rebuild is already running'), { code: 'TAG.FAILED_PRECONDITION' });
    if (!this.isLeader())
      throw Object.assign(
        new Error(
          'this instance stands by (another holds the lease and applies events): call it on the leader, whose tag-service.leader health entry is SERVING',
        ),
        { code: 'TAG.FAILED_PRECONDITION' },
      );
    this.running = true;
    const shadowSchema = `${this.schema}_shadow`;
    const url = (this.live.options as { url: string }).url;
    await this.live.query(`DROP SCHEMA IF EXISTS ${quoteIdent(shadowSchema)} CASCADE`);
    const shadow = await openReadModel(url, shadowSchema, 4);
    let paused = false;
    const started = Date.now();
    let done = 0;
    let total = 0;
    const stepSeconds: Record<string, number> = {};
    let stepStarted = Date.now();
    const stepDone = (step: string) => {
      stepSeconds[step] = (Date.now() - stepStarted) / 1000;
      stepStarted = Date.now();
    };
    const progress = (
      phase: RebuildProgress['phase'],
      checks: RebuildProgress['checks'] = [],
      message = '',
    ): RebuildProgress => {
      const seconds = (Date.now() - started) / 1000;
      const rate = seconds > 0 ? done / seconds : 0;
      const p = {
        phase,
        eventsDone: done,
        eventsTotal: Math.max(total, done),
        eventsPerSecond: Math.round(rate),
        etaSeconds: rate > 0 ? Math.max(0, (total - done) / rate) : 0,
        checks,
        message,
        stepSeconds: { ...stepSeconds },
      };
      this.logger.log({ event: 'rebuild.progress', ...p, checks: checks.length });
      onProgress(p);
      return p;
    };
    try {
      const filter = { categories: TAG_SERVICE_CATEGORIES };
      const head = await this.store.headPosition();
      // The total is only for progress: counted while the replay starts.
      void this.store
        .count?.({ to: head, filter })
        .then((n) => (total = n))
        .catch(() => undefined);
      const model = new CatalogViewModel();
      let after: GlobalPosition | undefined;
      let lastReport = 0;
      // The next batch is read while this one is folded.
      const read = (from: GlobalPosition | undefined) =>
        this.store.readAll({ ...(from ? { after: from } : {}), to: head, filter, maxCount: BATCH });
      for (let next = read(undefined); ;) {
        if (signal.aborted) return progress('cancelled', [], 'cancelled; live read models untouched');
        const events = await next;
        if (events.length === 0) break;
        after = events[events.length - 1]!.position;
        next = read(after);
        for (const e of events) model.apply(e);
        done += events.length;
        if (Date.now() - lastReport > 1_000) {
          lastReport = Date.now();
          progress('replaying');
        }
      }
      stepDone('fold');
      await writeModel(shadow, model);
      stepDone('load');
      const shadowCheckpoints = await PostgresCheckpointStore.create(shadow, shadowSchema);
      if (after) await shadowCheckpoints.save(CATALOG_VIEW, after);
      if (signal.aborted) return progress('cancelled', [], 'cancelled; live read models untouched');

      // The short pause: live stops at its checkpoint; the shadow catches up to exactly there.
      await this.liveProjection.stop();
      paused = true;
      const livePosition = await this.liveCheckpoints.load(CATALOG_VIEW);
      const tail = new CatalogViewProjection(this.store, shadow, shadowCheckpoints);
      for (;;) {
        const events = await this.store.readAll({
          ...(after ? { after } : {}),
          ...(livePosition ? { to: livePosition } : {}),
          filter,
          maxCount: BATCH,
        });
        if (events.length === 0) break;
        await tail.apply(events);
        done += events.length;
        after = events[events.length - 1]!.position;
      }
      // Whichever is behind catches up to the other through the same incremental code, so the two are
      // compared at one position (live may lag behind the replay's head, or have moved past it).
      for (let behind = livePosition; after && (!behind || comparePositions(behind, after) < 0);) {
        const events = await this.store.readAll({
          ...(behind ? { after: behind } : {}),
          to: after,
          filter,
          maxCount: BATCH,
        });
        if (events.length === 0) break;
        await this.liveProjection.apply(events);
        behind = events[events.length - 1]!.position;
      }
      stepDone('catch_up');
      const checks = await compare(this.live, this.schema, shadowSchema);
      stepDone('verify');
      const equal = checks.every((c) => c.equal);
      progress(
        'verifying',
        checks,
        equal ? 'rebuilt tables equal the live ones' : 'rebuilt tables differ from the live ones',
      );
      if (options.verifyOnly || (!equal && !options.acceptDifferences)) {
        return progress(
          'kept_live',
          checks,
          options.verifyOnly
            ? 'verify only: live tables kept'
            : 'differences found; pass accept_differences to swap',
        );
      }
      await swap(this.live, this.schema, shadowSchema);
      stepDone('swap');
      return progress(
        'swapped',
        checks,
        equal ? 'swapped (no differences)' : 'swapped; the differences listed were in the live tables',
      );
    } catch (error) {
      this.logger.error(error);
      return progress('failed', [], error instanceof Error ? error.message : String(error));
    } finally {
      await shadow.destroy();
      await this.live.query(`DROP SCHEMA IF EXISTS ${quoteIdent(shadowSchema)} CASCADE`);
      if (paused) await this.liveProjection.start();
      this.running = false;
    }
  }
}

async function writeModel(db: DataSource, model: CatalogViewModel): Promise<void> {
  const rows: [EntityTarget<ObjectLiteral>, ObjectLiteral[]][] = [
    [TagNodeView, [...model.nodes.values()]],
    [TagMemberView, [...model.memberRows()]],
    [ApprovalView, [...model.approvals.values()]],
    [SensitiveOperationView, [...model.sensitive.values()]],
    [RevertedChangeView, [...model.reverted.values()]],
    [FollowUpTaskView, [...model.tasks.values()]],
    [
      ProjectedStream,
      [...model.streams].map(([streamId, revision]) => ({ streamId, revision: String(revision) })),
    ],
  ];
  for (const [entity, list] of rows) {
    const meta = db.getMetadata(entity);
    const table = `${quoteIdent(meta.schema!)}.${quoteIdent(meta.tableName)}`;
    const columns = meta.columns.map((c) => ({
      property: c.propertyName,
      column: c.databaseName,
      json: c.type === 'jsonb',
    }));
    // A large table loads without its primary key, which is built once afterwards (same name, so the
    // swapped-in table is exactly what TypeORM created).
    const big = list.length > BIG_TABLE;
    const [pk] = big
      ? ((await db.query(
          `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`,
          [table],
        )) as { conname: string; def: string }[])
      : [];
    if (pk) await db.query(`ALTER TABLE ${table} DROP CONSTRAINT ${constraintName(pk.conname)}`);
    // Two writers for a large table: PostgreSQL parses one while Node writes the other.
    const parts = big ? 2 : 1;
    const size = Math.ceil(list.length / parts);
    await Promise.all(
      Array.from({ length: parts }, async (_, i) => {
        const runner = db.createQueryRunner();
        try {
          const client = (await runner.connect()) as PoolClient;
          const rows = list.slice(i * size, (i + 1) * size);
          await copyRows(client, table, columns, rows);
        } finally {
          await runner.release();
        }
      }),
    );
    if (pk) await db.query(`ALTER TABLE ${table} ADD CONSTRAINT ${constraintName(pk.conname)} ${pk.def}`);
  }
}

/**
 * Row count and an order-independent checksum per table, live against shadow: the sum of a 64-bit hash of
 * every row's text, its columns listed by name (so the tables' physical column order does not matter, and
 * no sort of millions of rows is needed).
 */
async function compare(db: DataSource, live: string, shadow: string): Promise<RebuildProgress['checks']> {
  const sum = async (schema: string, table: string, columns: string) => {
    const [row] = (await db.query(
      `SELECT count(*)::int AS n, coalesce(sum(hashtextextended(row(${columns})::text, 0)), 0)::text AS sum
         FROM ${quoteIdent(schema)}.${quoteIdent(table)} t`,
    )) as { n: number; sum: string }[];
    return row!;
  };
  const checks = [];
  for (const [table, entity] of TABLES) {
    const columns = db
      .getMetadata(entity)
      .columns.map((c) => `t.${quoteIdent(c.databaseName)}`)
      .join(', ');
    const [a, b] = await Promise.all([sum(live, table, columns), sum(shadow, table, columns)]);
    checks.push({ table, liveRows: a.n, rebuiltRows: b.n, equal: a.n === b.n && a.sum === b.sum });
  }
  return checks;
}

/** The shadow tables take the live tables' names in one transaction; the replaced ones are kept aside. */
async function swap(db: DataSource, live: string, shadow: string): Promise<void> {
  const replaced = `${live}_replaced`;
  await db.transaction(async (tx) => {
    await tx.query(`DROP SCHEMA IF EXISTS ${quoteIdent(replaced)} CASCADE`);
    await tx.query(`CREATE SCHEMA ${quoteIdent(replaced)}`);
    for (const [table] of TABLES) {
      await tx.query(
        `ALTER TABLE ${quoteIdent(live)}.${quoteIdent(table)} SET SCHEMA ${quoteIdent(replaced)}`,
      );
      await tx.query(`ALTER TABLE ${quoteIdent(shadow)}.${quoteIdent(table)} SET SCHEMA ${quoteIdent(live)}`);
    }
  });
}

/** A constraint name read from pg_constraint (TypeORM's are mixed case, e.g. "PK_ad65…"), quoted as is. */
function constraintName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
