import type { DirectoryObjectRef, DirectoryObjectState, DirectorySnapshot } from '../domain/directory.model';

/** Progress of a long read (a full pull): what is done of what is known so far. */
export type PullProgress = { phase: string; done: number; total: number };

/** A per-object failure that did not stop the pull (WeCom answers errcodes per call). */
export type PullFailure = { ref: string; errcode: number; errmsg: string };

export type PullResult = { snapshot: DirectorySnapshot; failures: PullFailure[] };

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
  failures: PullFailure[];
  eventsWritten: number;
};

/** Nest injection token of the DirectoryIngest (provided by the directory module, used by connectors). */
export const DIRECTORY_INGEST = Symbol('DirectoryIngest');
