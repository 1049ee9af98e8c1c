import type { RecordedEvent } from '@tagguard/event-store';
import type { FollowUpTaskEvent } from '../../domain/automation';
import { VISIBLE_TO_EVERYONE, type TagCatalogEvent } from '../../domain/tag-catalog.events';
import type { TagMembersEvent } from '../../domain/tag-members';
import { CATALOG_CATEGORY, categoryOfStream, entityIdOf, MEMBERS_CATEGORY } from '../../streams';
import type {
  ApprovalView,
  FollowUpTaskView,
  RevertedChangeView,
  SensitiveOperationView,
  TagMemberView,
  TagNodeView,
} from './catalog-view.entities';

/**
 * The catalog view's one mapping from events to rows, folded in memory. The rebuild folds the whole
 * history into it (plain maps); the live projection folds each batch into a model holding only the rows
 * the batch touches (`rowsTouchedBy`, loaded from the read model into `LoadedRows`) and writes the
 * result back with a few multi-row statements. Every rebuild compares the two by row checksum before it
 * swaps, and a property test replays random histories through both.
 */
export class CatalogViewModel {
  readonly streams: Map<string, bigint>;
  readonly nodes: Map<string, TagNodeView>;
  /** Members per tag (tenant, tag → kind, id → row); a tag's member count moves by what actually changed. */
  readonly membersByTag: Map<string, Map<string, TagMemberView>>;
  readonly approvals: Map<string, ApprovalView>;
  readonly sensitive: Map<string, SensitiveOperationView>;
  readonly reverted: Map<string, RevertedChangeView>;
  readonly tasks: Map<string, FollowUpTaskView>;
  private lastOccurredAt = '';
  private lastAt = new Date(0);

  /** `rows` makes each table's map: plain maps for a full fold, `LoadedRows` for a batch. */
  constructor(private readonly rows: <V>() => Map<string, V> = () => new Map()) {
    this.streams = rows();
    this.nodes = rows();
    this.membersByTag = rows();
    this.approvals = rows();
    this.sensitive = rows();
    this.reverted = rows();
    this.tasks = rows();
  }

  *memberRows(): Generator<TagMemberView> {
    for (const members of this.membersByTag.values()) yield* members.values();
  }

  apply(recorded: RecordedEvent): void {
    const seen = this.streams.get(recorded.streamId);
    if (seen !== undefined && seen >= recorded.revision) return;
    this.streams.set(recorded.streamId, recorded.revision);
    const category = categoryOfStream(recorded.streamId);
    const event = { type: recorded.type, data: recorded.data };
    if (category === CATALOG_CATEGORY) this.catalog(recorded, event as TagCatalogEvent);
    else if (category === MEMBERS_CATEGORY) this.membership(recorded, event as TagMembersEvent);
    else this.task(recorded, event as FollowUpTaskEvent);
  }

  private catalog(recorded: RecordedEvent, event: TagCatalogEvent): void {
    const tenantId = recorded.metadata.tenantId;
    const at = this.occurredAt(recorded);
    const key = (id: string) => rowKey(tenantId, id);
    // Rows are this model's own: changed in place (a rebuild folds millions of events).
    const bump = (nodeId: string, change: Partial<TagNodeView>): void => {
      const row = this.nodes.get(key(nodeId));
      if (!row) return;
      Object.assign(row, change);
      row.revision++;
      row.updatedAt = at;
    };
    switch (event.type) {
      case 'NodeCreated': {
        const d = event.data;
        this.nodes.set(key(d.nodeId), {
          tenantId,
          nodeId: d.nodeId,
          nodeType: d.nodeType,
          kind: d.kind,
          name: d.name,
          parentId: d.parentId,
          sortOrder: d.order,
          description: d.description,
          visibility: VISIBLE_TO_EVERYONE,
          sensitive: false,
          isProtected: false,
          status: 'active',
          revision: 0,
          memberCount: 0,
          binRootId: null,
          deletedBy: null,
          deletedAt: null,
          purgeDueAt: null,
          createdAt: at,
          updatedAt: at,
        });
        return;
      }
      case 'NodeRenamed':
        return bump(event.data.nodeId, { name: event.data.name });
      case 'NodeMoved':
        return bump(event.data.nodeId, { parentId: event.data.parentId, sortOrder: event.data.order });
      case 'NodeReordered':
        return bump(event.data.nodeId, { sortOrder: event.data.order });
      case 'NodeDescribed':
        return bump(event.data.nodeId, { description: event.data.description });
      case 'VisibilityConfigured':
        return bump(event.data.nodeId, {
          visibility: event.data.visibility,
          sensitive: event.data.sensitive,
        });
      case 'ProtectionSet':
        return bump(event.data.nodeId, { isProtected: event.data.protected });
      case 'NodesBinned':
        for (const nodeId of event.data.nodeIds)
          bump(nodeId, {
            status: 'binned',
            binRootId: event.data.rootId,
            deletedBy: event.data.deletedBy,
            deletedAt: new Date(event.data.deletedAt),
            purgeDueAt: new Date(event.data.purgeDueAt),
          });
        return;
      case 'NodesRestored':
        for (const nodeId of event.data.nodeIds)
          bump(nodeId, {
            status: 'active',
            binRootId: null,
            deletedBy: null,
            deletedAt: null,
            purgeDueAt: null,
          });
        return;
      case 'NodesPurged':
        for (const nodeId of event.data.nodeIds) bump(nodeId, { status: 'purged' });
        return;
      case 'NodeStateRestored': {
        const { node, status, bin } = event.data;
        const existing = this.nodes.get(key(node.nodeId));
        this.nodes.set(key(node.nodeId), {
          tenantId,
          nodeId: node.nodeId,
          nodeType: node.nodeType,
          kind: node.kind,
          name: node.name,
          parentId: node.parentId,
          sortOrder: node.order,
          description: node.description,
          visibility: node.visibility,
          sensitive: node.sensitive,
          isProtected: node.protected,
          status,
          revision: existing ? existing.revision + 1 : 0,
          memberCount: existing?.memberCount ?? 0,
          binRootId: bin?.rootId ?? null,
          deletedBy: bin?.deletedBy ?? null,
          deletedAt: bin ? new Date(bin.deletedAt) : null,
          purgeDueAt: bin ? new Date(bin.purgeDueAt) : null,
          createdAt: existing?.createdAt ?? at,
          updatedAt: at,
        });
        return;
      }
      case 'SensitiveOperationDetected': {
        const d = event.data;
        this.sensitive.set(key(d.operationId), {
          tenantId,
          operationId: d.operationId,
          level: d.level,
          operation: d.operation,
          actorId: d.actorId,
          actorDepartment: d.actorDepartment,
          totalMembers: d.totalMembers,
          affected: d.affected,
          beforeState: d.beforeState,
          approvedBy: d.approvedBy,
          detectedAt: at,
        });
        return;
      }
      case 'ApprovalRequested': {
        const d = event.data;
        this.approvals.set(key(d.approvalId), {
          tenantId,
          approvalId: d.approvalId,
          operation: d.operation,
          requestedBy: d.requestedBy,
          requestedAt: new Date(d.requestedAt),
          expiresAt: new Date(d.expiresAt),
          status: 'pending',
          decidedBy: null,
        });
        return;
      }
      case 'ApprovalGranted':
      case 'ApprovalRejected':
      case 'ApprovalExpired': {
        const row = this.approvals.get(key(event.data.approvalId));
        if (!row) return;
        this.approvals.set(
          key(event.data.approvalId),
          event.type === 'ApprovalExpired'
            ? { ...row, status: 'expired' }
            : {
                ...row,
                status: event.type === 'ApprovalGranted' ? 'granted' : 'rejected',
                decidedBy: event.data.by,
              },
        );
        return;
      }
      case 'AbnormalChangeReverted': {
        const d = event.data;
        this.reverted.set(key(recorded.id), {
          tenantId,
          eventId: recorded.id,
          ruleId: d.ruleId,
          tagId: d.tagId,
          actorId: d.actorId,
          members: d.members,
          reason: d.reason,
          revertedEventId: d.revertedEventId,
          revertedAt: at,
        });
        return;
      }
      default:
        return;
    }
  }

  private membership(recorded: RecordedEvent, event: TagMembersEvent): void {
    const tenantId = recorded.metadata.tenantId;
    const tagId = entityIdOf(recorded);
    const at = this.occurredAt(recorded);
    const tagKey = rowKey(tenantId, tagId);
    let members = this.membersByTag.get(tagKey);
    if (!members) this.membersByTag.set(tagKey, (members = this.rows()));
    let delta = 0;
    for (const m of event.data.members) {
      const key = memberKey(m.kind, m.id);
      if (event.type === 'MembersAdded') {
        if (members.has(key)) continue;
        delta++;
        members.set(key, {
          tenantId,
          tagId,
          memberKind: m.kind,
          memberId: m.id,
          addedBy: recorded.metadata.actorId,
          addedAt: at,
        });
      } else if (members.delete(key)) delta--;
    }
    const node = this.nodes.get(tagKey);
    if (node) node.memberCount += delta;
  }

  /** Events of one append share their moment: parsed once (rows share the Date; nothing mutates it). */
  private occurredAt(recorded: RecordedEvent): Date {
    if (recorded.metadata.occurredAt !== this.lastOccurredAt) {
      this.lastOccurredAt = recorded.metadata.occurredAt;
      this.lastAt = new Date(this.lastOccurredAt);
    }
    return this.lastAt;
  }

  private task(recorded: RecordedEvent, event: FollowUpTaskEvent): void {
    const tenantId = recorded.metadata.tenantId;
    if (event.type === 'FollowUpTaskCreated') {
      const d = event.data;
      this.tasks.set(rowKey(tenantId, d.taskId), {
        tenantId,
        taskId: d.taskId,
        ruleId: d.ruleId,
        tagId: d.tagId,
        customerId: d.customerId,
        assigneeId: d.assigneeId,
        dueAt: new Date(d.dueAt),
        guide: d.guide,
        status: 'open',
        completedBy: null,
        completedAt: null,
        note: '',
        createdAt: new Date(d.createdAt),
      });
      return;
    }
    const key = rowKey(tenantId, event.data.taskId);
    const row = this.tasks.get(key);
    if (row)
      this.tasks.set(key, {
        ...row,
        status: 'completed',
        completedBy: event.data.completedBy,
        completedAt: new Date(event.data.completedAt),
        note: event.data.note,
      });
  }
}

export const rowKey = (tenantId: string, id: string): string => `${tenantId}\u0000${id}`;
export const memberKey = (kind: string, id: string): string => `${kind}\u0000${id}`;

type Key<T, K extends keyof T> = Pick<T, K>;

/**
 * The existing rows the fold reads while it applies a batch (rows it only writes need no load): the live
 * projection loads these before folding. A row missed here makes `LoadedRows` throw, not read as
 * absent.
 */
export class RowsTouched {
  readonly nodes = new Map<string, Key<TagNodeView, 'tenantId' | 'nodeId'>>();
  /** By tag key, then member key. */
  readonly members = new Map<
    string,
    Map<string, Key<TagMemberView, 'tenantId' | 'tagId' | 'memberKind' | 'memberId'>>
  >();
  readonly approvals = new Map<string, Key<ApprovalView, 'tenantId' | 'approvalId'>>();
  readonly tasks = new Map<string, Key<FollowUpTaskView, 'tenantId' | 'taskId'>>();

  add(recorded: RecordedEvent): void {
    const tenantId = recorded.metadata.tenantId;
    const node = (nodeId: string) => this.nodes.set(rowKey(tenantId, nodeId), { tenantId, nodeId });
    const category = categoryOfStream(recorded.streamId);
    if (category === MEMBERS_CATEGORY) {
      const tagId = entityIdOf(recorded);
      node(tagId);
      const tagKey = rowKey(tenantId, tagId);
      let members = this.members.get(tagKey);
      if (!members) this.members.set(tagKey, (members = new Map()));
      for (const m of (recorded.data as TagMembersEvent['data']).members)
        members.set(memberKey(m.kind, m.id), { tenantId, tagId, memberKind: m.kind, memberId: m.id });
      return;
    }
    if (category !== CATALOG_CATEGORY) {
      const event = { type: recorded.type, data: recorded.data } as FollowUpTaskEvent;
      if (event.type !== 'FollowUpTaskCreated')
        this.tasks.set(rowKey(tenantId, event.data.taskId), { tenantId, taskId: event.data.taskId });
      return;
    }
    const event = { type: recorded.type, data: recorded.data } as TagCatalogEvent;
    switch (event.type) {
      case 'NodeRenamed':
      case 'NodeMoved':
      case 'NodeReordered':
      case 'NodeDescribed':
      case 'VisibilityConfigured':
      case 'ProtectionSet':
        node(event.data.nodeId);
        return;
      case 'NodesBinned':
      case 'NodesRestored':
      case 'NodesPurged':
        for (const nodeId of event.data.nodeIds) node(nodeId);
        return;
      case 'NodeStateRestored':
        node(event.data.node.nodeId);
        return;
      case 'ApprovalGranted':
      case 'ApprovalRejected':
      case 'ApprovalExpired': {
        const { approvalId } = event.data;
        this.approvals.set(rowKey(tenantId, approvalId), { tenantId, approvalId });
        return;
      }
      default:
        return;
    }
  }
}

/**
 * A table's map holding only the rows a batch touches. Each key is marked as loaded (found or known
 * absent) before the fold; reading any other key throws, since "not loaded" must never pass for "absent".
 */
export class LoadedRows<V> extends Map<string, V> {
  private readonly known = new Set<string>();

  /** Marks `key` as read from the read model, with its row if it has one. */
  load(key: string, row: V | undefined): void {
    this.known.add(key);
    if (row !== undefined) super.set(key, row);
  }

  override get(key: string): V | undefined {
    return this.check(key) ? super.get(key) : undefined;
  }

  override has(key: string): boolean {
    return this.check(key) && super.has(key);
  }

  override delete(key: string): boolean {
    return this.check(key) && super.delete(key);
  }

  override set(key: string, value: V): this {
    this.known.add(key);
    return super.set(key, value);
  }

  private check(key: string): true {
    if (!this.known.has(key)) throw new Error(`catalog view: row ${JSON.stringify(key)} was not loaded`);
    return true;
  }
}
