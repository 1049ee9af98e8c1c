import { Controller, Inject, Optional } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { connectorV1 } from '@tagguard/contracts';
import { Observable } from 'rxjs';
import { DirectoryError } from '../directory/domain/directory.errors';
import { atField, caller, DIRECTORY_EDGE, type EdgeDeps } from '../directory/edge';
import type { ReconcileReport } from '../directory/sources/directory-source.port';
import type { SyncProgress } from './domain/sync-progress';
import type { WeComDirectorySync } from './wecom-directory.sync';
import { WeComConnector } from './wecom.module';

const CONNECTOR = 'wecom';

/**
 * tagguard.sync.v1.ConnectorService: the WeCom connector's full sync with progress, and its status, for the
 * caller's tenant. Registered whether or not the connector is configured, so "off" is an answer.
 */
@Controller()
@connectorV1.ConnectorServiceControllerMethods()
export class ConnectorGrpcController implements connectorV1.ConnectorServiceController {
  constructor(
    @Inject(DIRECTORY_EDGE) private readonly deps: EdgeDeps,
    @Optional() @Inject(WeComConnector) private readonly connector?: WeComConnector,
  ) {}

  /** The connector's sync for this tenant, or why there is none. */
  private syncFor(tenantId: string): { sync?: WeComDirectorySync; off: string } {
    const config = this.connector?.config;
    if (!config) return { off: 'the WeCom connector is not configured (WECOM_CORP_ID unset)' };
    if (config.tenantId !== tenantId)
      return { off: `the WeCom connector is configured for another tenant, not ${tenantId}` };
    if (!this.connector?.sync) return { off: 'the WeCom connector did not start (see the service log)' };
    return { sync: this.connector.sync, off: '' };
  }

  runFullSync(
    _request: connectorV1.RunFullSyncRequest,
    metadata?: Metadata,
  ): Observable<connectorV1.RunFullSyncResponse> {
    return new Observable((subscriber) => {
      let open = true;
      void (async () => {
        const { tenantId } = await caller(this.deps, metadata, 'connector.sync');
        const { sync, off } = this.syncFor(tenantId);
        if (!sync) throw new DirectoryError('DIRECTORY.FAILED_PRECONDITION', off);
        const joined = sync.syncing;
        const record = await sync
          .fullSyncRecord(tenantId, (p) => open && subscriber.next({ progress: toProgress(p), joined }))
          .catch((error: unknown) => {
            throw new DirectoryError(
              'DIRECTORY.UNAVAILABLE',
              `the WeCom full sync failed: ${(error as Error).message}`,
            );
          });
        subscriber.next({ report: toReport(record.report, record.seconds), joined });
        subscriber.complete();
      })().catch((error: unknown) => subscriber.error(atField(error)));
      // A caller that hangs up stops hearing; the sync goes on (others may have joined it).
      return () => {
        open = false;
      };
    });
  }

  async getConnectorStatus(
    _request: connectorV1.GetConnectorStatusRequest,
    metadata?: Metadata,
  ): Promise<connectorV1.GetConnectorStatusResponse> {
    const { tenantId } = await caller(this.deps, metadata, 'connector.read');
    const { sync, off } = this.syncFor(tenantId);
    const base = {
      connector: CONNECTOR,
      recentFailures: [],
      lastCallbackAt: '',
      corpId: '',
      lastFullSync: undefined,
    };
    if (!sync)
      return { ...base, state: connectorV1.ConnectorState.CONNECTOR_STATE_OFF, syncing: false, message: off };
    const last = sync.lastFullSync;
    const error = sync.lastFullSyncError;
    const failing = error !== undefined && (!last || error.at >= last.finishedAt);
    const state = failing
      ? connectorV1.ConnectorState.CONNECTOR_STATE_FAILING
      : last
        ? connectorV1.ConnectorState.CONNECTOR_STATE_READY
        : connectorV1.ConnectorState.CONNECTOR_STATE_STARTING;
    return {
      ...base,
      state,
      corpId: this.connector!.config.corpId,
      lastFullSync: last && {
        finishedAt: last.finishedAt.toISOString(),
        seconds: last.seconds,
        report: toReport(last.report, last.seconds),
      },
      syncing: sync.syncing,
      lastCallbackAt: sync.lastCallbackAt?.toISOString() ?? '',
      recentFailures: sync.recentFailures.map((f) => ({ ...f, at: f.at.toISOString() })),
      message: failing
        ? `the last full sync failed: ${error.message}`
        : last
          ? `the last full sync finished at ${last.finishedAt.toISOString()}`
          : sync.syncing
            ? 'the first full sync is running'
            : 'no full sync yet (WECOM_PULL_ON_START=false: callbacks only until the first scheduled one or RunFullSync)',
    };
  }
}

const toProgress = (p: SyncProgress): connectorV1.SyncProgress => ({
  phase: p.phase,
  done: String(p.done),
  total: String(p.total),
  ratePerSecond: p.ratePerSecond,
  etaSeconds: p.etaSeconds,
});

const counts = (c: ReconcileReport['byKind']['employee']): connectorV1.KindCounts => ({
  created: String(c.created),
  updated: String(c.updated),
  removed: String(c.removed),
  statusChanged: String(c.statusChanged),
  unchanged: String(c.unchanged),
});

function toReport(r: ReconcileReport, seconds: number): connectorV1.ReconcileReport {
  return {
    departments: counts(r.byKind.department),
    employees: counts(r.byKind.employee),
    partners: counts(r.byKind.partner),
    partnerStaff: counts(r.byKind.partner_staff),
    customers: counts(r.byKind.customer),
    failures: r.failures,
    eventsWritten: String(r.eventsWritten),
    seconds,
  };
}
