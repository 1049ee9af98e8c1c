import type { TagIntegrationEventV1 } from '@tagguard/contracts';
import type { DataSource } from 'typeorm';
import type { DownstreamTables, Sql } from '../downstream.tables';
import type { ChannelQueue } from '../queue/channel-queue';
import { enabledChannels } from '../queue/directory-planner';

/**
 * sync-service's local copy of tag-service's tags and members (downstream_tags, downstream_tag_members),
 * kept from TAG_EVENTS_TOPIC_V1 only: a mail group never waits on tag-service. Each message is applied
 * at most once (its event id in downstream_tag_inbox, in the same transaction as its effects), and the
 * groups it touched are planned for every enabled tags → groups channel of its tenant in that transaction.
 */
export class TagCopy {
  constructor(
    private readonly db: DataSource,
    private readonly t: DownstreamTables,
    private readonly queue: ChannelQueue,
  ) {}

  /** Returns false for a message already applied (a redelivery). */
  async apply(eventId: string, event: TagIntegrationEventV1): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const claimed = (await tx.query(
        `INSERT INTO ${this.t.tagInbox} (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1`,
        [eventId],
      )) as unknown[];
      if (claimed.length === 0) return false;
      const tenantId = event.data.tenantId;
      const tagIds = await this.keep(tx, tenantId, event);
      if (tagIds.length > 0)
        for (const channel of await enabledChannels(tx, this.t, tenantId))
          if (channel.kind !== 'employee_accounts') await this.queue.plan(tx, channel, { tagIds });
      return true;
    });
  }

  /** Applies the event to the copy; returns the tags whose group may have changed. */
  private async keep(tx: Sql, tenantId: string, event: TagIntegrationEventV1): Promise<string[]> {
    const setStatus = async (ids: string[], status: string) => {
      await tx.query(`UPDATE ${this.t.tags} SET status = $3 WHERE tenant_id = $1 AND tag_id = ANY($2)`, [
        tenantId,
        ids,
        status,
      ]);
      return ids;
    };
    switch (event.type) {
      case 'tag.created.v1': {
        const d = event.data;
        await tx.query(
          `INSERT INTO ${this.t.tags} (tenant_id, tag_id, name, kind, node_type, status) VALUES ($1, $2, $3, $4, $5, 'active')
           ON CONFLICT (tenant_id, tag_id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
             node_type = EXCLUDED.node_type, status = 'active'`,
          [tenantId, d.tagId, d.name, d.kind, d.nodeType],
        );
        return [d.tagId];
      }
      case 'tag.renamed.v1':
        await tx.query(`UPDATE ${this.t.tags} SET name = $3 WHERE tenant_id = $1 AND tag_id = $2`, [
          tenantId,
          event.data.tagId,
          event.data.name,
        ]);
        return [event.data.tagId];
      case 'tag.deleted.v1':
        return setStatus(event.data.tagIds, 'binned');
      case 'tag.restored.v1':
        return setStatus(event.data.tagIds, 'active');
      case 'tag.restored_to_point.v1':
        await tx.query(
          `UPDATE ${this.t.tags} SET name = $3, status = $4 WHERE tenant_id = $1 AND tag_id = $2`,
          [tenantId, event.data.tagId, event.data.name, event.data.status],
        );
        return [event.data.tagId];
      case 'tag.purged.v1':
        await tx.query(`DELETE FROM ${this.t.tagMembers} WHERE tenant_id = $1 AND tag_id = ANY($2)`, [
          tenantId,
          event.data.tagIds,
        ]);
        await tx.query(`DELETE FROM ${this.t.tags} WHERE tenant_id = $1 AND tag_id = ANY($2)`, [
          tenantId,
          event.data.tagIds,
        ]);
        return event.data.tagIds;
      case 'tag.members_added.v1': {
        const m = event.data.members;
        await tx.query(
          `INSERT INTO ${this.t.tagMembers} (tenant_id, tag_id, member_kind, member_id)
           SELECT $1, $2, k, i FROM unnest($3::text[], $4::text[]) AS x(k, i) ON CONFLICT DO NOTHING`,
          [tenantId, event.data.tagId, m.map((x) => x.kind), m.map((x) => x.id)],
        );
        return [event.data.tagId];
      }
      case 'tag.members_removed.v1': {
        const m = event.data.members;
        await tx.query(
          `DELETE FROM ${this.t.tagMembers} WHERE tenant_id = $1 AND tag_id = $2
             AND (member_kind, member_id) IN (SELECT * FROM unnest($3::text[], $4::text[]))`,
          [tenantId, event.data.tagId, m.map((x) => x.kind), m.map((x) => x.id)],
        );
        return [event.data.tagId];
      }
      default:
        // Moves, visibility, governance and tasks do not change a mail group.
        return [];
    }
  }
}
