import {
  comparePositions,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
} from '@tagguard/event-store';
import { CheckpointedSubscriber, type CheckpointStore, type SubscriberRuntime } from '@tagguard/messaging';
import type { ComponentLag } from '@tagguard/telemetry';
import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { DirectoryError } from '../../domain/directory.errors';
import type { DirectoryEvent } from '../../integration/directory-events.translation';
import { DIRECTORY_CATEGORIES } from '../../streams';
import {
  CustomerFollowerView,
  CustomerView,
  DepartmentView,
  EmployeeDepartmentView,
  EmployeeView,
  PartnerStaffView,
  PartnerView,
  ProjectedStream,
} from './directory-view.entities';
import { DirectoryRows } from './directory-view.rows';

export const DIRECTORY_VIEW = 'sync-service.directory-view';
const CHUNK = 1_000;

/**
 * Keeps the directory's read models in step with its streams: each batch is folded in memory
 * (DirectoryRows) and written with a few multi-row statements in one transaction with the checkpoint;
 * each stream's last applied revision is kept, so a replay or a redelivery is a no-op.
 */
export class DirectoryViewProjection {
  private subscriber?: CheckpointedSubscriber;
  private position?: GlobalPosition;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly store: EventStore,
    private readonly db: DataSource,
    private readonly checkpoints: CheckpointStore,
    private readonly runtime: SubscriberRuntime = {},
    private readonly name = DIRECTORY_VIEW,
    private readonly batchSize = 2_000,
  ) {}

  async start(): Promise<void> {
    this.position = await this.checkpoints.load(this.name);
    this.subscriber = new CheckpointedSubscriber({
      name: this.name,
      store: this.store,
      filter: { categories: DIRECTORY_CATEGORIES },
      checkpoints: this.checkpoints,
      batchSize: this.batchSize,
      handle: (events) => this.apply(events),
      onAdvanced: (position) => this.advanceTo(position),
      ...this.runtime,
    });
    await this.subscriber.start();
  }

  async stop(): Promise<void> {
    await this.subscriber?.stop();
  }

  lag(): Promise<ComponentLag | undefined> {
    return this.subscriber?.lag() ?? Promise.resolve(undefined);
  }

  /** Resolves once every event up to `position` is in the view; UNAVAILABLE after `timeoutMs`. */
  waitFor(position: GlobalPosition, timeoutMs: number): Promise<void> {
    const reached = () => this.position !== undefined && comparePositions(this.position, position) >= 0;
    if (reached()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!reached()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new DirectoryError(
            'DIRECTORY.UNAVAILABLE',
            `the directory view did not catch up in ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private advanceTo(position: GlobalPosition): void {
    if (this.position && comparePositions(this.position, position) >= 0) return;
    this.position = position;
    for (const check of [...this.waiters]) check();
  }

  async apply(events: RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1]!.position;
    await this.db.transaction(async (tx) => {
      const streamIds = [...new Set(events.map((e) => e.streamId))];
      const seen = new Map<string, bigint>();
      for (let i = 0; i < streamIds.length; i += CHUNK) {
        const rows = (await tx.query(
          `SELECT stream_id, revision FROM ${table(tx, ProjectedStream)} WHERE stream_id = ANY($1)`,
          [streamIds.slice(i, i + CHUNK)],
        )) as { stream_id: string; revision: string }[];
        for (const r of rows) seen.set(r.stream_id, BigInt(r.revision));
      }
      const rows = new DirectoryRows();
      const advanced = new Map<string, bigint>();
      for (const e of events) {
        const at = advanced.get(e.streamId) ?? seen.get(e.streamId) ?? -1n;
        if (e.revision <= at) continue;
        rows.apply(e.metadata.tenantId, Number(e.revision), { type: e.type, data: e.data } as DirectoryEvent);
        advanced.set(e.streamId, e.revision);
      }
      if (advanced.size > 0) {
        await save(tx, rows);
        await upsert(
          tx,
          ProjectedStream,
          [...advanced].map(([streamId, revision]) => ({ streamId, revision: String(revision) })),
          ['streamId'],
        );
      }
      await this.checkpoints.save(this.name, last, tx);
    });
    this.advanceTo(last);
  }
}

function table(tx: EntityManager, entity: EntityTarget<ObjectLiteral>): string {
  const meta = tx.connection.getMetadata(entity);
  return `"${meta.schema ?? 'public'}"."${meta.tableName}"`;
}

async function upsert<T extends ObjectLiteral>(
  tx: EntityManager,
  entity: EntityTarget<T>,
  rows: T[],
  keys: string[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK)
    await tx
      .getRepository(entity)
      .upsert(rows.slice(i, i + CHUNK) as never, { conflictPaths: keys, skipUpdateIfNoValuesChanged: false });
}

async function remove<T extends ObjectLiteral>(
  tx: EntityManager,
  entity: EntityTarget<T>,
  where: ObjectLiteral[],
): Promise<void> {
  for (let i = 0; i < where.length; i += CHUNK)
    await tx
      .createQueryBuilder()
      .delete()
      .from(entity)
      .where(where.slice(i, i + CHUNK))
      .execute();
}

function split<T>(map: Map<string, T | null>): [T[], string[]] {
  const kept: T[] = [];
  const gone: string[] = [];
  for (const [key, row] of map) {
    if (row) kept.push(row);
    else gone.push(key);
  }
  return [kept, gone];
}

const unkey = (key: string): string[] => key.split('\u0000');

/** A bump only ever raises a row's revision: a row's revision is the highest seen, never older. */
async function raiseRevisions(
  tx: EntityManager,
  entity: EntityTarget<ObjectLiteral>,
  idColumn: string,
  bumps: Map<string, { tenantId: string; id: string; revision: number }>,
): Promise<void> {
  const all = [...bumps.values()];
  for (let i = 0; i < all.length; i += CHUNK) {
    const chunk = all.slice(i, i + CHUNK);
    await tx.query(
      `UPDATE ${table(tx, entity)} AS r SET revision = GREATEST(r.revision, b.revision)
         FROM unnest($1::text[], $2::text[], $3::int[]) AS b(tenant_id, id, revision)
        WHERE r.tenant_id = b.tenant_id AND r.${idColumn} = b.id`,
      [chunk.map((b) => b.tenantId), chunk.map((b) => b.id), chunk.map((b) => b.revision)],
    );
  }
}

async function save(tx: EntityManager, rows: DirectoryRows): Promise<void> {
  const [departments, departmentsGone] = split(rows.departments);
  await upsert(tx, DepartmentView, departments, ['tenantId', 'departmentId']);
  await remove(
    tx,
    DepartmentView,
    departmentsGone.map(unkey).map(([tenantId, departmentId]) => ({ tenantId, departmentId })),
  );

  await upsert(tx, EmployeeView, [...rows.employees.values()], ['tenantId', 'employeeId']);
  const owners = [...rows.employeeDepartments.values()];
  await remove(
    tx,
    EmployeeDepartmentView,
    owners.map(({ tenantId, employeeId }) => ({ tenantId, employeeId })),
  );
  await upsert(
    tx,
    EmployeeDepartmentView,
    owners.flatMap((o) => o.rows),
    ['tenantId', 'employeeId', 'departmentId'],
  );
  await raiseRevisions(tx, EmployeeView, 'employee_id', rows.employeeRevisions);

  const [partners, partnersGone] = split(rows.partners);
  await upsert(tx, PartnerView, partners, ['tenantId', 'corpId']);
  await remove(
    tx,
    PartnerView,
    partnersGone.map(unkey).map(([tenantId, corpId]) => ({ tenantId, corpId })),
  );
  const [staff, staffGone] = split(rows.partnerStaff);
  await upsert(tx, PartnerStaffView, staff, ['tenantId', 'corpId', 'staffId']);
  await remove(
    tx,
    PartnerStaffView,
    staffGone.map(unkey).map(([tenantId, corpId, staffId]) => ({ tenantId, corpId, staffId })),
  );
  await raiseRevisions(tx, PartnerView, 'corp_id', rows.partnerRevisions);

  const [customers, customersGone] = split(rows.customers);
  await upsert(tx, CustomerView, customers, ['tenantId', 'externalUserId']);
  await remove(
    tx,
    CustomerView,
    customersGone.map(unkey).map(([tenantId, externalUserId]) => ({ tenantId, externalUserId })),
  );
  const followed = [...rows.followers.values()];
  await remove(
    tx,
    CustomerFollowerView,
    followed.map(({ tenantId, externalUserId }) => ({ tenantId, externalUserId })),
  );
  await upsert(
    tx,
    CustomerFollowerView,
    followed.flatMap((f) => f.rows),
    ['tenantId', 'externalUserId', 'employeeId'],
  );
}
