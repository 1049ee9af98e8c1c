import { canonical } from '../../directory/domain/directory-rules';
import type { DownstreamTables, Sql } from '../downstream.tables';
import { rows } from '../downstream.tables';
import type { ChannelRow, DesiredState } from '../desired/desired-state';
import { keyOf, type DownstreamChange } from './change';

/** Which part of a channel's desired state to plan: everything, or some employees / tags. */
export type Scope = { all: true } | { employeeIds?: string[]; tagIds?: string[]; allGroups?: boolean };

export interface PlanOptions {
  /** Queue every desired item even when it is what was last queued (enable, forced resync). */
  force?: boolean;
  resyncId?: string;
}

const CHUNK = 1_000;

/**
 * The only way changes enter a channel's queue. Under the channel's lock (a transaction-scoped advisory
 * lock), it reads the desired state as committed now, compares it with what was last queued per key
 * (downstream_planned) and queues the differences. Every writer (the directory planner, the tag consumer,
 * drift repair, resync) goes through here, so per key the queue's order is the order of the states read:
 * a later entry never carries an older state.
 */
export class ChannelQueue {
  /** Groups read from the desired state to plan them (what a batch recomputed, for tests and metrics). */
  readonly stats = { groupsRecomputed: 0 };

  constructor(
    private readonly t: DownstreamTables,
    private readonly desired: DesiredState,
  ) {}

  get desiredState(): DesiredState {
    return this.desired;
  }

  async lock(tx: Sql, channel: { tenantId: string; channelId: string }): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [
      `downstream/${channel.tenantId}/${channel.channelId}`,
    ]);
  }

  /** Plans `scope` of the channel (in the caller's transaction); returns how many changes were queued. */
  async plan(tx: Sql, channel: ChannelRow, scope: Scope, options: PlanOptions = {}): Promise<number> {
    await this.lock(tx, channel);
    const changes: DownstreamChange[] = [];
    if (channel.kind === 'employee_accounts') {
      const ids = 'all' in scope ? undefined : scope.employeeIds;
      if (ids?.length === 0) return 0;
      if (!('all' in scope) && !ids) return 0;
      for (const account of await this.desired.accounts(tx, channel, ids))
        changes.push({ op: 'upsertAccount', account });
    } else {
      // tags → mail groups, customer tags → corp tags (D74): both whole groups keyed by tag id.
      const everything = 'all' in scope || scope.allGroups === true;
      const tagIds = everything ? undefined : scope.tagIds;
      if (!everything && !tagIds?.length) return 0;
      const groups = await this.desired.groupsOf(tx, channel, tagIds);
      this.stats.groupsRecomputed += groups.length;
      for (const group of groups) changes.push({ op: 'upsertGroup', group });
      // Groups queued before that are no longer wanted (tag deleted, no longer a member tag): removed.
      const wanted = new Set(groups.map((g) => `group/${g.groupId}`));
      const plannedKeys = await rows<{ key: string; change: DownstreamChange }>(
        tx,
        `SELECT key, change FROM ${this.t.planned} WHERE tenant_id = $1 AND channel_id = $2
           ${tagIds ? 'AND key = ANY($3)' : ''}`,
        tagIds
          ? [channel.tenantId, channel.channelId, tagIds.map((id) => `group/${id}`)]
          : [channel.tenantId, channel.channelId],
      );
      for (const p of plannedKeys)
        if (!wanted.has(p.key) && p.change.op !== 'removeGroup') {
          changes.push({ op: 'removeGroup', groupId: p.key.slice('group/'.length) });
        }
    }
    return this.queue(tx, channel, changes, options);
  }

  /** Queues these changes as they are (drift repairs), under the channel's lock. */
  async queueChanges(
    tx: Sql,
    channel: ChannelRow,
    changes: DownstreamChange[],
    options: PlanOptions = {},
  ): Promise<number> {
    await this.lock(tx, channel);
    return this.queue(tx, channel, changes, { ...options, force: true });
  }

  private async queue(
    tx: Sql,
    channel: ChannelRow,
    changes: DownstreamChange[],
    options: PlanOptions,
  ): Promise<number> {
    let queued = 0;
    for (let i = 0; i < changes.length; i += CHUNK) {
      const chunk = changes.slice(i, i + CHUNK);
      const keys = chunk.map(keyOf);
      const last = new Map(
        (
          await rows<{ key: string; change: unknown }>(
            tx,
            `SELECT key, change FROM ${this.t.planned} WHERE tenant_id = $1 AND channel_id = $2 AND key = ANY($3)`,
            [channel.tenantId, channel.channelId, keys],
          )
        ).map((r) => [r.key, canonical(r.change)]),
      );
      const fresh = chunk.filter((c, j) => options.force || last.get(keys[j]!) !== canonical(normalized(c)));
      if (fresh.length === 0) continue;
      const freshKeys = fresh.map(keyOf);
      const json = fresh.map((c) => JSON.stringify(normalized(c)));
      const inserted = await rows<unknown>(
        tx,
        `INSERT INTO ${this.t.outbox} (tenant_id, channel_id, key, change, resync_id)
         SELECT $1, $2, k, c::jsonb, $5::uuid FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS x(k, c, n)
          ORDER BY n
         ON CONFLICT (resync_id, key) WHERE resync_id IS NOT NULL DO NOTHING RETURNING seq`,
        [channel.tenantId, channel.channelId, freshKeys, json, options.resyncId ?? null],
      );
      queued += inserted.length;
      await tx.query(
        `INSERT INTO ${this.t.planned} (tenant_id, channel_id, key, change)
         SELECT $1, $2, k, c::jsonb FROM unnest($3::text[], $4::text[]) AS x(k, c)
         ON CONFLICT (tenant_id, channel_id, key) DO UPDATE SET change = EXCLUDED.change`,
        [channel.tenantId, channel.channelId, freshKeys, json],
      );
    }
    return queued;
  }

  /** Keys with a change still waiting (drift detection skips them). */
  async pendingKeys(q: Sql, channel: { tenantId: string; channelId: string }): Promise<Set<string>> {
    const found = await rows<{ key: string }>(
      q,
      `SELECT DISTINCT key FROM ${this.t.outbox} WHERE tenant_id = $1 AND channel_id = $2 AND state = 'pending'`,
      [channel.tenantId, channel.channelId],
    );
    return new Set(found.map((r) => r.key));
  }
}

/** Members sorted, so the same state compares equal whatever order it was read in. */
function normalized(change: DownstreamChange): DownstreamChange {
  if (change.op !== 'upsertGroup') return change;
  return {
    ...change,
    group: { ...change.group, memberEmployeeIds: [...change.group.memberEmployeeIds].sort() },
  };
}
