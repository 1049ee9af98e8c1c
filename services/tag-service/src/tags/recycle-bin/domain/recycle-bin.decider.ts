import { assertUniqueName, writableNode, type CommandBase, type Guarded } from '../../domain/catalog-guards';
import { describeAffected } from '../../domain/sensitive-operations';
import type { AffectedTag, TagCatalogEvent } from '../../domain/tag-catalog.events';
import { subtreeOf, type TagCatalogState, type TagNode } from '../../domain/tag-catalog.state';
import { TagError } from '../../domain/tag.errors';
import { requestApproval } from '../../governance/domain/four-eyes';
import { reportSensitive } from '../../governance/domain/freezes.decider';

export type RecycleBinCommand =
  | {
      type: 'DeleteNode';
      data: CommandBase &
        Guarded & {
          nodeId: string;
          memberCounts: Record<string, number>;
          operationId: string;
          approvalId: string;
        };
    }
  | { type: 'RestoreNode'; data: CommandBase & { nodeId: string } }
  | { type: 'PurgeDueNodes'; data: CommandBase };

/** A delete bins the subtree for the retention window; it comes back whole, or is purged when due. */
export function decideRecycleBin(command: RecycleBinCommand, state: TagCatalogState): TagCatalogEvent[] {
  switch (command.type) {
    case 'DeleteNode': {
      const node = writableNode(state, command.data.nodeId, command.data.expectedRevision);
      const subtree = subtreeOf(state, node.nodeId).filter((n) => n.status === 'active');
      if (subtree.some((n) => n.protected))
        return [
          requestApproval(
            state,
            command.data,
            { type: 'delete', nodeId: node.nodeId },
            command.data.approvalId,
          ),
        ];
      return binSubtree(state, node, subtree, command.data, null);
    }
    case 'RestoreNode': {
      const node = state.nodes.get(command.data.nodeId);
      if (!node || node.status === 'purged')
        throw new TagError(
          'TAG.NOT_FOUND',
          `tag ${command.data.nodeId} not found in the recycle bin`,
          'tag_id',
        );
      if (node.status === 'active' || !node.bin)
        throw new TagError('TAG.NOT_DELETED', `tag ${node.nodeId} is not in the recycle bin`, 'tag_id');
      if (node.bin.rootId !== node.nodeId)
        throw new TagError(
          'TAG.FAILED_PRECONDITION',
          `tag ${node.nodeId} was deleted with ${node.bin.rootId}; restore that one`,
          'tag_id',
        );
      if (command.data.now >= node.bin.purgeDueAt)
        throw new TagError(
          'TAG.RETENTION_EXPIRED',
          `the retention window of tag ${node.nodeId} ended at ${node.bin.purgeDueAt}`,
          'tag_id',
        );
      if (node.parentId !== null && state.nodes.get(node.parentId)?.status !== 'active')
        throw new TagError(
          'TAG.FAILED_PRECONDITION',
          `its parent ${node.parentId} is deleted; restore the parent first`,
          'tag_id',
        );
      assertUniqueName(state, node.parentId, node.name, node.nodeId);
      const nodeIds = subtreeOf(state, node.nodeId)
        .filter((n) => n.status === 'binned' && n.bin?.rootId === node.nodeId)
        .map((n) => n.nodeId);
      return [
        {
          type: 'NodesRestored',
          data: { rootId: node.nodeId, nodeIds, restoredBy: command.data.actor.actorId },
        },
      ];
    }
    case 'PurgeDueNodes': {
      const due = new Map<string, string[]>();
      for (const n of state.nodes.values())
        if (n.status === 'binned' && n.bin && n.bin.purgeDueAt <= command.data.now)
          due.set(n.bin.rootId, [...(due.get(n.bin.rootId) ?? []), n.nodeId]);
      return [...due].map(([rootId, nodeIds]) => ({
        type: 'NodesPurged' as const,
        data: { rootId, nodeIds },
      }));
    }
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}

/** Bins the active subtree and grades the delete; `approvedBy` is set when a second person approved it. */
export function binSubtree(
  state: TagCatalogState,
  root: TagNode,
  subtree: TagNode[],
  data: CommandBase & { memberCounts: Record<string, number>; operationId: string },
  approvedBy: string | null,
): TagCatalogEvent[] {
  const affected: AffectedTag[] = subtree
    .filter((n) => n.nodeType === 'tag')
    .map((n) => ({ tagId: n.nodeId, name: n.name, memberCount: data.memberCounts[n.nodeId] ?? 0 }));
  const purgeDueAt = new Date(Date.parse(data.now) + state.policy.retentionHours * 3_600_000).toISOString();
  const binned: TagCatalogEvent = {
    type: 'NodesBinned',
    data: {
      rootId: root.nodeId,
      nodeIds: subtree.map((n) => n.nodeId),
      deletedBy: data.actor.actorId,
      deletedAt: data.now,
      purgeDueAt,
      affected,
    },
  };
  const before = `${root.nodeType} ${root.name} with ${describeAffected(affected)}`;
  return [binned, ...reportSensitive(state, data, 'delete', affected, before, approvedBy)];
}
