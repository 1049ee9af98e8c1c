import type { EventStore, GlobalPosition, RecordedEvent } from '@tagguard/event-store';
import { CheckpointedSubscriber, type CheckpointStore, type SubscriberRuntime } from '@tagguard/messaging';
import type { ComponentLag } from '@tagguard/telemetry';
import type { DataSource } from 'typeorm';
import {
  categoryOfStream,
  CUSTOMER_CATEGORY,
  DIRECTORY_CATEGORIES,
  EMPLOYEE_CATEGORY,
  TREE_CATEGORY,
} from '../../directory/streams';
import type { ChannelEvent } from '../channels/domain/channel.decider';
import { CHANNEL_CATEGORY } from '../channels/channel-streams';
import type { ChannelRow } from '../desired/desired-state';
import { rows, type DownstreamTables, type Sql } from '../downstream.tables';
import type { ChannelQueue } from './channel-queue';

export const DOWNSTREAM_PLANNER = 'sync-service.downstream-planner';
const VIEW_WAIT_MS = 30_000;

type View = { waitFor(position: GlobalPosition, timeoutMs: number): Promise<void> };

/**
 * Turns the directory's events and the channels' own events into queued changes: each batch, in one
 * transaction with its checkpoint, keeps downstream_channels, and plans what the batch touched for every
 * enabled channel of its tenants (an employee: their account and the groups they are or were in; a
 * department: the groups holding it or an ancestor, or its employees; a customer: its corp tags; a channel
 * enabled: everything, pushed once). It reads the directory mirror only after the mirror
 * has passed the batch, so the desired state it reads includes the batch.
 */
export class DirectoryPlanner {
  private subscriber?: CheckpointedSubscriber;

  constructor(
    private readonly store: EventStore,
    private readonly db: DataSource,
    private readonly view: View,
    private readonly t: DownstreamTables,
    private readonly queue: ChannelQueue,
    private readonly checkpoints: CheckpointStore,
    private readonly runtime: SubscriberRuntime = {},
  ) {}

  async start(): Promise<void> {
    this.subscriber = new CheckpointedSubscriber({
      name: DOWNSTREAM_PLANNER,
      store: this.store,
      filter: { categories: [...DIRECTORY_CATEGORIES, CHANNEL_CATEGORY] },
      checkpoints: this.checkpoints,
      batchSize: 1_000,
      handle: (events) => this.apply(events),
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

  async apply(events: RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1]!.position;
    const directory = events.filter((e) => categoryOfStream(e.streamId) !== CHANNEL_CATEGORY);
    if (directory.length > 0)
      await this.view.waitFor(directory[directory.length - 1]!.position, VIEW_WAIT_MS);
    await this.db.transaction(async (tx) => {
      type Touched = {
        employees: Set<string>;
        departments: Set<string>;
        customers: Set<string>;
        pushAll: Set<string>;
      };
      const touched = new Map<string, Touched>();
      const of = (tenantId: string) => {
        let t = touched.get(tenantId);
        if (!t)
          touched.set(
            tenantId,
            (t = { employees: new Set(), departments: new Set(), customers: new Set(), pushAll: new Set() }),
          );
        return t;
      };
      for (const e of events) {
        const category = categoryOfStream(e.streamId);
        const tenant = of(e.metadata.tenantId);
        if (category === CHANNEL_CATEGORY) {
          const pushAll = await this.keepChannel(tx, e.metadata.tenantId, e);
          if (pushAll) tenant.pushAll.add(pushAll);
        } else if (category === EMPLOYEE_CATEGORY) {
          const data = e.data as { employee?: { employeeId: string }; employeeId?: string };
          tenant.employees.add(data.employee?.employeeId ?? data.employeeId!);
        } else if (category === TREE_CATEGORY) {
          const data = e.data as { department?: { departmentId: string }; departmentId?: string };
          tenant.departments.add(data.department?.departmentId ?? data.departmentId!);
        } else if (category === CUSTOMER_CATEGORY) {
          // A customer's followers decide who marks it (D74): its corp tags are planned again.
          const data = e.data as { customer?: { externalUserId: string }; externalUserId?: string };
          tenant.customers.add(data.customer?.externalUserId ?? data.externalUserId!);
        }
      }
      for (const [tenantId, t] of touched) {
        for (const channel of await enabledChannels(tx, this.t, tenantId)) {
          if (t.pushAll.has(channel.channelId))
            await this.queue.plan(tx, channel, { all: true }, { force: true });
          else if (t.employees.size > 0 || t.departments.size > 0 || t.customers.size > 0) {
            // Only the groups this batch can have changed (D78), not every group of the tenant.
            const tagIds =
              channel.kind === 'employee_accounts'
                ? []
                : await this.queue.desiredState.groupsTouching(tx, channel, {
                    employeeIds: [...t.employees],
                    departmentIds: [...t.departments],
                    customerIds: [...t.customers],
                  });
            await this.queue.plan(tx, channel, { employeeIds: [...t.employees], tagIds });
          }
        }
      }
      await this.checkpoints.save(DOWNSTREAM_PLANNER, last, tx);
    });
  }

  /** Keeps the channel's row; returns its id when the event means "push everything" (enabled, reconfigured while enabled). */
  private async keepChannel(tx: Sql, tenantId: string, e: RecordedEvent): Promise<string | undefined> {
    const event = { type: e.type, data: e.data } as ChannelEvent;
    const revision = Number(e.revision);
    if (event.type === 'ChannelConfigured') {
      const c = event.data.channel;
      const changed = await rows<{ enabled: boolean }>(
        tx,
        `INSERT INTO ${this.t.channels} AS t (tenant_id, channel_id, kind, connector, settings, enabled, revision)
         VALUES ($1, $2, $3, $4, $5::jsonb, false, $6)
         ON CONFLICT (tenant_id, channel_id) DO UPDATE SET kind = EXCLUDED.kind, connector = EXCLUDED.connector,
           settings = EXCLUDED.settings, revision = EXCLUDED.revision WHERE t.revision < EXCLUDED.revision
         RETURNING enabled`,
        [tenantId, c.channelId, c.kind, c.connector, JSON.stringify(c.settings), revision],
      );
      return changed[0]?.enabled ? c.channelId : undefined;
    }
    const enabled = event.type === 'ChannelEnabled';
    const changed = await rows<unknown>(
      tx,
      `UPDATE ${this.t.channels} SET enabled = $3, revision = $4
        WHERE tenant_id = $1 AND channel_id = $2 AND revision < $4 RETURNING 1`,
      [tenantId, event.data.channelId, enabled, revision],
    );
    return enabled && changed.length > 0 ? event.data.channelId : undefined;
  }
}

type ChannelDbRow = {
  tenant_id: string;
  channel_id: string;
  kind: ChannelRow['kind'];
  connector: string;
  settings: ChannelRow['settings'];
  enabled: boolean;
  revision: number;
};

export const toChannelRow = (r: ChannelDbRow): ChannelRow => ({
  tenantId: r.tenant_id,
  channelId: r.channel_id,
  kind: r.kind,
  connector: r.connector,
  settings: r.settings,
  enabled: r.enabled,
  revision: r.revision,
});

export async function enabledChannels(q: Sql, t: DownstreamTables, tenantId: string): Promise<ChannelRow[]> {
  return (
    await rows<ChannelDbRow>(
      q,
      `SELECT * FROM ${t.channels} WHERE tenant_id = $1 AND enabled ORDER BY channel_id`,
      [tenantId],
    )
  ).map(toChannelRow);
}

export async function channelRow(q: Sql, t: DownstreamTables, tenantId: string, channelId: string) {
  const found = await rows<ChannelDbRow>(
    q,
    `SELECT * FROM ${t.channels} WHERE tenant_id = $1 AND channel_id = $2`,
    [tenantId, channelId],
  );
  return found[0] ? toChannelRow(found[0]) : undefined;
}
