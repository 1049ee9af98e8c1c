import type { DataSource } from 'typeorm';
import type { DirectoryCommands } from '../commands/directory-commands';
import type { WriteMeta, WriteOutcome } from '../commands/directory-writer';
import type { DirectoryObjectState } from '../domain/directory.model';
import type { DirectoryIngest, PullProgress, PullResult, ReconcileReport } from '../sources/directory-source.port';
import type { DirectoryViewProjection } from '../projections/directory-view/directory-view.projection';
import { changeRef, diffDirectory, type DirectoryChange, type DirectoryKind } from './directory-diff';
import { loadMirror } from './mirror';

/** Streams written at once during a reconcile (employees and customers are independent streams). */
const CONCURRENCY = 32;
const MIRROR_WAIT_MS = 30_000;

/**
 * The directory's entry for sources, on the one write path: a full snapshot is compared with the
 * mirror (the read model) and only the differences are written; a re-read object is applied alone.
 * Each write is decided on the stream's own state, so a mirror that lags writes nothing twice either.
 */
export class DirectoryReconciler implements DirectoryIngest {
  constructor(
    private readonly commands: DirectoryCommands,
    private readonly db: DataSource,
    private readonly projection: DirectoryViewProjection,
  ) {}

  async reconcile(
    tenantId: string,
    pulled: PullResult,
    meta: { source: string; correlationId?: string; onProgress?: (progress: PullProgress) => void },
  ): Promise<ReconcileReport> {
    const writeMeta = this.meta(tenantId, meta);
    await this.commands.writer.settled(this.projection, MIRROR_WAIT_MS);
    const mirror = await loadMirror(this.db, tenantId);
    const { changes, unchanged, skipped } = diffDirectory(
      mirror,
      pulled.snapshot,
      pulled.failures,
      pulled.superseded,
    );
    const report = emptyReport(unchanged, pulled.failures);
    let done = 0;
    const progress = () => meta.onProgress?.({ phase: 'reconciling', done, total: changes.length });
    progress();

    report.skipped = skipped;
    const record = (change: DirectoryChange, outcome: WriteOutcome) => {
      const counts = report.byKind[change.kind];
      report.eventsWritten += outcome.eventsWritten;
      if (!outcome.changed) counts.unchanged++;
      else if (change.op === 'remove') counts.removed++;
      else if (change.op === 'leave') counts.statusChanged++;
      else if (change.created) counts.created++;
      else if (change.kind === 'employee' && change.statusChanged) counts.statusChanged++;
      else counts.updated++;
    };
    const run = async (change: DirectoryChange) => {
      try {
        record(change, await this.write(writeMeta, change));
      } catch (error) {
        report.failures.push({
          ref: changeRef(change),
          errcode: -1,
          errmsg: error instanceof Error ? error.message : String(error),
        });
      }
      done++;
      progress();
    };
    // Departments and partners in order (parents first, children moved before removals); the rest at once.
    const inOrder = (c: DirectoryChange) =>
      c.kind === 'department' || c.kind === 'partner' || c.kind === 'partner_staff';
    for (const change of changes.filter(inOrder)) await run(change);
    await inParallel(
      changes.filter((c) => !inOrder(c)),
      CONCURRENCY,
      run,
    );
    return report;
  }

  async applyObject(
    tenantId: string,
    state: DirectoryObjectState,
    meta: { source: string; correlationId?: string },
  ): Promise<{ changed: boolean }> {
    const m = this.meta(tenantId, meta);
    const c = this.commands;
    let outcome: WriteOutcome;
    switch (state.kind) {
      case 'department':
        outcome =
          state.value === 'absent'
            ? await c.department(m, { type: 'RemoveDepartment', data: { departmentId: state.departmentId } })
            : await c.department(m, { type: 'UpsertDepartment', data: { department: state.value } });
        break;
      case 'employee':
        outcome =
          state.value === 'absent'
            ? await this.leave(m, state.employeeId)
            : await c.employee(m, { type: 'UpsertEmployee', data: { employee: state.value } });
        break;
      case 'customer':
        outcome =
          state.value === 'absent'
            ? await c.customer(m, { type: 'RemoveCustomer', data: { externalUserId: state.externalUserId } })
            : await c.customer(m, { type: 'UpsertCustomer', data: { customer: state.value } });
        break;
      case 'partner':
        outcome =
          state.value === 'absent'
            ? await c.partner(m, { type: 'RemovePartner', data: { corpId: state.corpId } })
            : await c.partner(m, { type: 'UpsertPartner', data: { partner: state.value } });
        break;
      case 'partner_staff':
        outcome =
          state.value === 'absent'
            ? await c.partner(m, {
                type: 'RemovePartnerStaff',
                data: { corpId: state.corpId, staffId: state.staffId },
              })
            : await c.partner(m, { type: 'UpsertPartnerStaff', data: { staff: state.value } });
        break;
    }
    return { changed: outcome.changed };
  }

  private write(m: WriteMeta, change: DirectoryChange): Promise<WriteOutcome> {
    const c = this.commands;
    switch (change.kind) {
      case 'department':
        return change.op === 'upsert'
          ? c.department(m, { type: 'UpsertDepartment', data: { department: change.value } })
          : c.department(m, { type: 'RemoveDepartment', data: { departmentId: change.id } });
      case 'employee':
        return change.op === 'upsert'
          ? c.employee(
              m,
              { type: 'UpsertEmployee', data: { employee: change.value } },
              { fresh: change.created },
            )
          : this.leave(m, change.id);
      case 'partner':
        return change.op === 'upsert'
          ? c.partner(m, { type: 'UpsertPartner', data: { partner: change.value } })
          : c.partner(m, { type: 'RemovePartner', data: { corpId: change.id } });
      case 'partner_staff':
        return change.op === 'upsert'
          ? c.partner(m, { type: 'UpsertPartnerStaff', data: { staff: change.value } })
          : c.partner(m, {
              type: 'RemovePartnerStaff',
              data: { corpId: change.corpId, staffId: change.staffId },
            });
      case 'customer':
        return change.op === 'upsert'
          ? c.customer(
              m,
              { type: 'UpsertCustomer', data: { customer: change.value } },
              { fresh: change.created },
            )
          : c.customer(m, { type: 'RemoveCustomer', data: { externalUserId: change.id } });
    }
  }

  /** A departed employee is kept with status left; one the directory never knew stays unknown. */
  private async leave(m: WriteMeta, employeeId: string): Promise<WriteOutcome> {
    try {
      return await this.commands.employee(m, {
        type: 'SetEmployeeStatus',
        data: { employeeId, status: 'left' },
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'DIRECTORY.NOT_FOUND')
        return { revision: -1, changed: false, eventsWritten: 0 };
      throw error;
    }
  }

  private meta(tenantId: string, meta: { source: string; correlationId?: string }): WriteMeta {
    return {
      tenantId,
      actorId: `source:${meta.source}`,
      ...(meta.correlationId ? { correlationId: meta.correlationId } : {}),
    };
  }
}

function emptyReport(
  unchanged: Record<DirectoryKind, number>,
  failures: ReconcileReport['failures'],
): ReconcileReport {
  const counts = (kind: DirectoryKind) => ({
    created: 0,
    updated: 0,
    removed: 0,
    statusChanged: 0,
    unchanged: unchanged[kind],
  });
  return {
    byKind: {
      department: counts('department'),
      employee: counts('employee'),
      partner: counts('partner'),
      partner_staff: counts('partner_staff'),
      customer: counts('customer'),
    },
    failures: failures.map(({ ref, errcode, errmsg }) => ({ ref, errcode, errmsg })),
    skipped: [],
    eventsWritten: 0,
  };
}

async function inParallel<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
