import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { downstreamV1 } from '@tagguard/contracts';
import { Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { DirectoryError, invalid } from '../directory/domain/directory.errors';
import {
  atField,
  caller,
  decodeCursor,
  DIRECTORY_EDGE,
  edge,
  encodeCursor,
  pageSizeField,
  revisionField,
  type EdgeDeps,
} from '../directory/edge';
import { ChannelCommands } from './channels/commands/channel-commands';
import type { ChannelKind, ChannelState as Decided, DriftRepair } from './channels/domain/channel.decider';
import type { ChannelRow } from './desired/desired-state';
import { rows, DownstreamTables } from './downstream.tables';
import { DriftDetector } from './drift/drift-detector';
import type { DriftItem } from './drift/domain/drift';
import { ChannelApplier } from './queue/channel-applier';
import { toChannelRow } from './queue/directory-planner';
import { ForceResync, type ResyncReport } from './resync/force-resync';

const K = downstreamV1.ChannelKind;
const KIND_IN: Partial<Record<string, ChannelKind>> = {
  [K.CHANNEL_KIND_EMPLOYEE_ACCOUNTS]: 'employee_accounts',
  [K.CHANNEL_KIND_TAG_GROUPS]: 'tag_groups',
  [K.CHANNEL_KIND_CUSTOMER_CORP_TAGS]: 'customer_corp_tags',
};
const KIND_OUT: Record<ChannelKind, downstreamV1.ChannelKind> = {
  employee_accounts: K.CHANNEL_KIND_EMPLOYEE_ACCOUNTS,
  tag_groups: K.CHANNEL_KIND_TAG_GROUPS,
  customer_corp_tags: K.CHANNEL_KIND_CUSTOMER_CORP_TAGS,
};
const R = downstreamV1.DriftRepair;
const REPAIR_IN: Partial<Record<string, DriftRepair>> = {
  [R.DRIFT_REPAIR_MANUAL]: 'manual',
  [R.DRIFT_REPAIR_AUTO]: 'auto',
};
const D = downstreamV1.DriftKind;
const DRIFT_OUT: Record<DriftItem['kind'], downstreamV1.DriftKind> = {
  missing_account: D.DRIFT_KIND_MISSING_ACCOUNT,
  extra_account: D.DRIFT_KIND_EXTRA_ACCOUNT,
  status_mismatch: D.DRIFT_KIND_STATUS_MISMATCH,
  account_details_mismatch: D.DRIFT_KIND_ACCOUNT_DETAILS_MISMATCH,
  group_member_missing: D.DRIFT_KIND_GROUP_MEMBER_MISSING,
  group_member_extra: D.DRIFT_KIND_GROUP_MEMBER_EXTRA,
  missing_group: D.DRIFT_KIND_MISSING_GROUP,
  extra_group: D.DRIFT_KIND_EXTRA_GROUP,
  group_details_mismatch: D.DRIFT_KIND_GROUP_DETAILS_MISMATCH,
};
const CHANNEL_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

function channelIdField(value: string): string {
  if (!CHANNEL_ID.test(value))
    throw invalid('channelId', 'must be 1–64 of [a-z0-9-], starting with a letter or digit');
  return value;
}

const toItem = (i: DriftItem): downstreamV1.DriftItem => ({
  kind: DRIFT_OUT[i.kind],
  subject: i.subject,
  memberId: i.memberId,
  expected: i.expected,
  actual: i.actual,
});

const toChannel = (s: Decided): downstreamV1.Channel => ({
  channelId: s.channel!.channelId,
  kind: KIND_OUT[s.channel!.kind],
  connector: s.channel!.connector,
  settings: {
    mailDomain: s.channel!.settings.mailDomain,
    driftRepair: s.channel!.settings.driftRepair === 'auto' ? R.DRIFT_REPAIR_AUTO : R.DRIFT_REPAIR_MANUAL,
    driftIntervalSeconds: s.channel!.settings.driftIntervalSeconds,
  },
  enabled: s.enabled,
  revision: String(s.revision),
});

const toReport = (r: ResyncReport): downstreamV1.ResyncReport => ({
  resyncId: r.resyncId,
  accountsCreated: String(r.accountsCreated),
  accountsStatusChanged: String(r.accountsStatusChanged),
  accountsUpdated: String(r.accountsUpdated),
  extraAccountsDisabled: String(r.extraAccountsDisabled),
  groupsCreated: String(r.groupsCreated),
  groupsUpdated: String(r.groupsUpdated),
  groupsRemoved: String(r.groupsRemoved),
  unchanged: String(r.unchanged),
  failed: String(r.failed),
  seconds: r.seconds,
});

const iso = (d: Date | null | undefined): string => (d ? new Date(d).toISOString() : '');

/** tagguard.sync.v1.DownstreamService: the tenant's downstream channels (tenant_admin only). */
@Controller()
@downstreamV1.DownstreamServiceControllerMethods()
export class DownstreamGrpcController implements downstreamV1.DownstreamServiceController {
  constructor(
    @Inject(DIRECTORY_EDGE) private readonly deps: EdgeDeps,
    @Inject(ChannelCommands) private readonly commands: ChannelCommands,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(DownstreamTables) private readonly t: DownstreamTables,
    @Inject(ChannelApplier) private readonly applier: ChannelApplier,
    @Inject(DriftDetector) private readonly drift: DriftDetector,
    @Inject(ForceResync) private readonly resync: ForceResync,
  ) {}

  private write(
    rpc: string,
    request: { idempotencyKey: string; channelId: string },
    metadata: Metadata | undefined,
    command: (
      tenantId: string,
    ) => Parameters<ChannelCommands['write']>[1] | Promise<Parameters<ChannelCommands['write']>[1]>,
    expectedRevision?: string,
  ): Promise<{ result: downstreamV1.ChannelWriteResult }> {
    return edge(async () => {
      const meta = await caller(this.deps, metadata, 'downstream.write', request.idempotencyKey);
      channelIdField(request.channelId);
      const expected = revisionField(expectedRevision);
      const { idempotencyKey, ...rest } = request;
      return this.commands.writer.once(meta, idempotencyKey, { rpc, ...rest }, async () => {
        const { outcome, state } = await this.commands.write(meta, await command(meta.tenantId), expected);
        return { result: { channel: toChannel(state), changed: outcome.changed } };
      });
    });
  }

  configureChannel(r: downstreamV1.ConfigureChannelRequest, md?: Metadata) {
    return this.write(
      'ConfigureChannel',
      r,
      md,
      async (tenantId) => {
        const kind = KIND_IN[r.kind];
        if (!kind) throw invalid('kind', 'must be EMPLOYEE_ACCOUNTS, TAG_GROUPS or CUSTOMER_CORP_TAGS');
        const s = r.settings;
        const driftRepair =
          !s?.driftRepair || s.driftRepair === R.DRIFT_REPAIR_UNSPECIFIED
            ? 'manual'
            : REPAIR_IN[s.driftRepair];
        if (!driftRepair) throw invalid('settings.driftRepair', 'must be MANUAL or AUTO');
        return {
          type: 'ConfigureChannel',
          data: {
            channel: {
              channelId: r.channelId,
              kind,
              connector: r.connector,
              settings: {
                mailDomain: s?.mailDomain ?? '',
                driftRepair,
                driftIntervalSeconds: s?.driftIntervalSeconds ?? 0,
              },
            },
            connectors: this.commands.connectorsFor(tenantId),
            otherTenantsConnectors: this.commands.otherTenantsConnectors(tenantId),
            // From the channels read model: two configured at the same instant can both pass (named in D77).
            otherCorpTagChannels:
              kind === 'customer_corp_tags'
                ? (
                    await rows<{ channel_id: string }>(
                      this.db,
                      `SELECT channel_id FROM ${this.t.channels}
                        WHERE tenant_id = $1 AND kind = 'customer_corp_tags' AND channel_id <> $2`,
                      [tenantId, r.channelId],
                    )
                  ).map((c) => c.channel_id)
                : [],
          },
        };
      },
      r.expectedRevision,
    );
  }

  enableChannel(r: downstreamV1.EnableChannelRequest, md?: Metadata) {
    return this.write(
      'EnableChannel',
      r,
      md,
      () => ({ type: 'EnableChannel', data: { channelId: r.channelId } }),
      r.expectedRevision,
    );
  }

  disableChannel(r: downstreamV1.DisableChannelRequest, md?: Metadata) {
    return this.write(
      'DisableChannel',
      r,
      md,
      () => ({ type: 'DisableChannel', data: { channelId: r.channelId } }),
      r.expectedRevision,
    );
  }

  /** The channel as its stream says (read-your-writes), for the caller's tenant only. */
  private async channel(
    metadata: Metadata | undefined,
    channelId: string,
    action: 'downstream.read' | 'downstream.write',
  ) {
    const { tenantId } = await caller(this.deps, metadata, action);
    const state = await this.commands.state(tenantId, channelIdField(channelId));
    if (!state.channel)
      throw new DirectoryError('DIRECTORY.NOT_FOUND', `channel ${channelId} does not exist`, 'channelId');
    const row: ChannelRow = { ...state.channel, tenantId, enabled: state.enabled, revision: state.revision };
    return { tenantId, state, row };
  }

  private async stateOf(row: ChannelRow, decided: Decided): Promise<downstreamV1.ChannelState> {
    const [queue] = await rows<{ n: number; oldest: Date | null }>(
      this.db,
      `SELECT count(*)::int AS n, min(created_at) AS oldest FROM ${this.t.outbox}
        WHERE tenant_id = $1 AND channel_id = $2 AND state = 'pending'`,
      [row.tenantId, row.channelId],
    );
    const [s] = await rows<{
      last_applied_key: string | null;
      last_applied_at: Date | null;
      applied_total: string;
      failed_total: string;
      last_error: string | null;
      last_error_at: Date | null;
      last_drift_at: Date | null;
      drift_items: number;
    }>(this.db, `SELECT * FROM ${this.t.status} WHERE tenant_id = $1 AND channel_id = $2`, [
      row.tenantId,
      row.channelId,
    ]);
    const status = !row.enabled
      ? 'disabled'
      : !this.commands.connectorsFor(row.tenantId).includes(row.connector)
        ? 'unknown_connector'
        : this.applier.isRetrying(row)
          ? 'retrying'
          : 'ok';
    return {
      channel: toChannel(decided),
      status,
      queueDepth: String(queue!.n),
      lagSeconds: queue!.oldest ? Math.max(0, (Date.now() - new Date(queue!.oldest).getTime()) / 1000) : 0,
      lastAppliedKey: s?.last_applied_key ?? '',
      lastAppliedAt: iso(s?.last_applied_at),
      appliedTotal: s?.applied_total ?? '0',
      failedTotal: s?.failed_total ?? '0',
      lastError: s?.last_error ?? '',
      lastErrorAt: iso(s?.last_error_at),
      lastDriftAt: iso(s?.last_drift_at),
      driftItems: String(s?.drift_items ?? 0),
    };
  }

  getChannelState(r: downstreamV1.GetChannelStateRequest, md?: Metadata) {
    return edge(async () => {
      const { state, row } = await this.channel(md, r.channelId, 'downstream.read');
      return { state: await this.stateOf(row, state) };
    });
  }

  listChannels(_r: downstreamV1.ListChannelsRequest, md?: Metadata) {
    return edge(async () => {
      const { tenantId } = await caller(this.deps, md, 'downstream.read');
      const found = (
        await rows<Parameters<typeof toChannelRow>[0]>(
          this.db,
          `SELECT * FROM ${this.t.channels} WHERE tenant_id = $1 ORDER BY channel_id`,
          [tenantId],
        )
      ).map(toChannelRow);
      const channels = await Promise.all(
        found.map(async (row) => this.stateOf(row, await this.commands.state(tenantId, row.channelId))),
      );
      return { channels, connectors: this.commands.connectorsFor(tenantId) };
    });
  }

  detectDrift(r: downstreamV1.DetectDriftRequest, md?: Metadata) {
    return edge(async () => {
      const { row } = await this.channel(md, r.channelId, 'downstream.write');
      const d = await this.drift.detect(row);
      return {
        detectedAt: d.detectedAt.toISOString(),
        itemCount: String(d.items.length),
        items: d.items.slice(0, 100).map(toItem),
        repairsQueued: String(d.repairsQueued),
        pendingSkipped: String(d.pendingSkipped),
      };
    });
  }

  listDrift(r: downstreamV1.ListDriftRequest, md?: Metadata) {
    return edge(async () => {
      const { row } = await this.channel(md, r.channelId, 'downstream.read');
      const size = pageSizeField(r.pageSize);
      const offset = Number(decodeCursor(r.pageToken, 1)?.[0] ?? '0');
      const items = (await this.drift.lastItems(row, offset, size + 1)) ?? [];
      const [s] = await rows<{ last_drift_at: Date | null }>(
        this.db,
        `SELECT last_drift_at FROM ${this.t.status} WHERE tenant_id = $1 AND channel_id = $2`,
        [row.tenantId, row.channelId],
      );
      return {
        detectedAt: iso(s?.last_drift_at),
        items: items.slice(0, size).map(toItem),
        nextPageToken: items.length > size ? encodeCursor([String(offset + size)]) : '',
      };
    });
  }

  repairDrift(r: downstreamV1.RepairDriftRequest, md?: Metadata) {
    return edge(async () => {
      const meta = await caller(this.deps, md, 'downstream.write', r.idempotencyKey);
      const { row } = await this.channel(md, r.channelId, 'downstream.write');
      return this.commands.writer.once(
        meta,
        r.idempotencyKey,
        { rpc: 'RepairDrift', channelId: r.channelId },
        async () => ({
          repairsQueued: String(await this.drift.repair(row)),
        }),
      );
    });
  }

  forceResync(
    r: downstreamV1.ForceResyncRequest,
    md?: Metadata,
  ): Observable<downstreamV1.ForceResyncResponse> {
    return new Observable((subscriber) => {
      let open = true;
      void (async () => {
        const { row } = await this.channel(md, r.channelId, 'downstream.write');
        if (r.idempotencyKey.length > 128) throw invalid('idempotencyKey', 'must be at most 128 characters');
        if (r.resyncId && !/^[0-9a-f-]{36}$/.test(r.resyncId))
          throw invalid('resyncId', 'is not a resync id');
        if (!row.enabled)
          throw new DirectoryError(
            'DIRECTORY.FAILED_PRECONDITION',
            `channel ${row.channelId} is disabled; enable it first`,
            'channelId',
          );
        const run = await this.resync.begin(row, r.idempotencyKey, r.resyncId);
        const report = await this.resync.run(row, run, (p) => {
          if (open)
            subscriber.next({
              progress: { ...p, done: String(p.done), total: String(p.total) },
            });
        });
        subscriber.next({ report: toReport(report) });
        subscriber.complete();
      })().catch((error: unknown) => subscriber.error(atField(error)));
      // A caller that hangs up stops hearing; the resync goes on (join it again with its id).
      return () => {
        open = false;
      };
    });
  }
}
