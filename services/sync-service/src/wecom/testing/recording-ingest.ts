import { isDeepStrictEqual } from 'node:util';
import type { DirectoryObjectState } from '../../directory/domain/directory.model';
import type {
  DirectoryIngest,
  PullResult,
  ReconcileReport,
} from '../../directory/sources/directory-source.port';

/**
 * A small DirectoryIngest for the connector's tests (the directory's own ingest lives in the directory
 * module): it keeps the last state per object, says `changed` when it differs, and records every call.
 */
export class RecordingIngest implements DirectoryIngest {
  readonly objects = new Map<string, DirectoryObjectState>();
  readonly applied: { tenantId: string; state: DirectoryObjectState; source: string }[] = [];
  readonly reconciled: { tenantId: string; pulled: PullResult }[] = [];

  async applyObject(
    tenantId: string,
    state: DirectoryObjectState,
    meta: { source: string },
  ): Promise<{ changed: boolean }> {
    this.applied.push({ tenantId, state, source: meta.source });
    const { value: _v, ...ref } = state;
    const key = `${tenantId} ${JSON.stringify(ref)}`;
    const changed = !isDeepStrictEqual(this.objects.get(key), state);
    this.objects.set(key, state);
    return { changed };
  }

  async reconcile(tenantId: string, pulled: PullResult): Promise<ReconcileReport> {
    this.reconciled.push({ tenantId, pulled });
    const zero = { created: 0, updated: 0, removed: 0, statusChanged: 0, unchanged: 0 };
    return {
      byKind: {
        department: { ...zero, created: pulled.snapshot.departments.length },
        employee: { ...zero, created: pulled.snapshot.employees.length },
        partner: { ...zero, created: pulled.snapshot.partners.length },
        partner_staff: { ...zero, created: pulled.snapshot.partnerStaff.length },
        customer: { ...zero, created: pulled.snapshot.customers.length },
      },
      failures: pulled.failures,
      skipped: [],
      eventsWritten: 0,
    };
  }
}
