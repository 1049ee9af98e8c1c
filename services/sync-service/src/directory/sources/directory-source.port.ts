import type { DirectoryObjectRef, DirectoryObjectState, DirectorySnapshot } from '../domain/directory.model';

/** Progress of a long read (a full pull): what is done of what is known so far. */
export type PullProgress = { phase: string; done: number; total: number };

/**
 * What a failed read covered, so the reconcile removes or departs nothing it could not see: the direct
 * users of a department, one follower's customers, a whole kind's list (partners, partner staff) or one
 * partner staff member.
 */
export type PullScope =
  | { kind: 'department_users'; departmentId: string }
  | { kind: 'follower_customers'; employeeId: string }
  | { kind: 'partners' }
  | { kind: 'partner_staff' }
  | { kind: 'partner_staff_member'; corpId: string; staffId: string };

/** A failure reported per item (a failed write during a reconcile, a failed read during a pull). */
export type ItemFailure = { ref: string; errcode: number; errmsg: string };

/** A per-object failure that did not stop the pull (WeCom answers errcodes per call), and what it covered. */
export type PullFailure = ItemFailure & { covers: PullScope };

export type PullResult = {
  snapshot: DirectorySnapshot;
  failures: PullFailure[];
  /**
   * Objects a source signalled as changed while the pull ran: the snapshot's view of them may be older than
   * the mirror's, so the reconcile neither writes nor removes them (the source re-reads them instead).
   */
  superseded?: DirectoryObjectRef[];
};

/** One key per directory object, as reports name them (`employee/bob`, `partner_staff/corp/staff`). */
export function directoryRefKey(ref: DirectoryObjectRef): string {
  switch (ref.kind) {
    case 'department':
      return `department/${ref.departmentId}`;
    case 'employee':
      return `employee/${ref.employeeId}`;
    case 'customer':
      return `customer/${ref.externalUserId}`;
    case 'partner':
      return `partner/${ref.corpId}`;
    case 'partner_staff':
      return `partner_staff/${ref.corpId}/${ref.staffId}`;
  }
}

/**
 * Where the directory comes from (the WeCom contacts connector; the admin API writes directly).
 * A callback is only a signal: the ingest re-reads the object it names through `read`.
 */
export interface DirectorySource {
  pullAll(tenantId: string, onProgress?: (progress: PullProgress) => void): Promise<PullResult>;
  read(tenantId: string, ref: DirectoryObjectRef): Promise<DirectoryObjectState>;
}

/** What a source's change signal names; produced by the callback receiver after verifying it. */
export type DirectoryChangeSignal = { tenantId: string; refs: DirectoryObjectRef[]; receivedAt: Date };

/**
 * The directory's entry for sources (implemented by the directory's write path): a full snapshot is
 * reconciled (only differences are written, idempotently), a re-read object is applied alone.
 */
export interface DirectoryIngest {
  /** `onProgress` hears phase "reconciling": the differences written of those found. */
  reconcile(
    tenantId: string,
    pulled: PullResult,
    meta: { source: string; correlationId?: string; onProgress?: (progress: PullProgress) => void },
  ): Promise<ReconcileReport>;
  applyObject(
    tenantId: string,
    state: DirectoryObjectState,
    meta: { source: string; correlationId?: string },
  ): Promise<{ changed: boolean }>;
}

/** Counts per kind of difference, per object kind; `unchanged` counts objects compared and equal. */
export type ReconcileReport = {
  byKind: Record<
    'department' | 'employee' | 'partner' | 'partner_staff' | 'customer',
    { created: number; updated: number; removed: number; statusChanged: number; unchanged: number }
  >;
  failures: ItemFailure[];
  /** Removals and departures not written because a failed read covered them (`ref`, and the failure's `cause`). */
  skipped: { ref: string; cause: string }[];
  eventsWritten: number;
};

/** Nest injection token of the DirectoryIngest (provided by the directory module, used by connectors). */
export const DIRECTORY_INGEST = Symbol('DirectoryIngest');
