import { activeNode, type CommandBase } from '../../domain/catalog-guards';
import type { TagCatalogEvent } from '../../domain/tag-catalog.events';
import { subtreeOf, type Approval, type TagCatalogState } from '../../domain/tag-catalog.state';
import { TagError } from '../../domain/tag.errors';
import { binSubtree } from '../../recycle-bin/domain/recycle-bin.decider';
import { reportRemoval } from './freezes.decider';

export type ApprovalCommand =
  | {
      type: 'ApproveOperation';
      data: CommandBase & { approvalId: string; memberCounts: Record<string, number>; operationId: string };
    }
  | { type: 'RejectOperation'; data: CommandBase & { approvalId: string; reason: string } }
  | { type: 'ExpireApprovals'; data: CommandBase };

/** Four eyes: a second person approves (and so runs) or rejects what four-eyes.ts held back. */
export function decideApprovals(command: ApprovalCommand, state: TagCatalogState): TagCatalogEvent[] {
  switch (command.type) {
    case 'ApproveOperation': {
      const { actor } = command.data;
      const approval = openApproval(state, command.data.approvalId, command.data.now);
      if (approval.requestedBy === actor.actorId)
        throw new TagError(
          'TAG.PERMISSION_DENIED',
          'the approver must be a different person from the requester',
          'approval_id',
        );
      const granted: TagCatalogEvent = {
        type: 'ApprovalGranted',
        data: { approvalId: approval.approvalId, by: actor.actorId },
      };
      const op = approval.operation;
      // The requester's intent, executed now: sensitivity is reported against them, approved by the approver.
      const requester = {
        ...command.data,
        actor: { actorId: approval.requestedBy, roles: [], departmentId: approval.requestedByDepartment },
      };
      // Membership and restore approvals execute in their own write after the grant.
      if (op.type === 'add_members' || op.type === 'restore') return [granted];
      if (op.type === 'remove_members') {
        const tag = activeNode(state, op.tagId, 'approval_id');
        return [granted, ...reportRemoval(state, requester, tag, op.members.length, actor.actorId)];
      }
      const node = activeNode(state, op.nodeId, 'approval_id');
      const subtree = subtreeOf(state, node.nodeId).filter((n) => n.status === 'active');
      return [granted, ...binSubtree(state, node, subtree, requester, actor.actorId)];
    }
    case 'RejectOperation': {
      const approval = openApproval(state, command.data.approvalId, command.data.now);
      return [
        {
          type: 'ApprovalRejected',
          data: {
            approvalId: approval.approvalId,
            by: command.data.actor.actorId,
            reason: command.data.reason,
          },
        },
      ];
    }
    case 'ExpireApprovals':
      return [...state.approvals.values()]
        .filter((a) => a.status === 'pending' && a.expiresAt <= command.data.now)
        .map((a) => ({ type: 'ApprovalExpired' as const, data: { approvalId: a.approvalId } }));
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}

function openApproval(state: TagCatalogState, approvalId: string, now: string): Approval {
  const approval = state.approvals.get(approvalId);
  if (!approval) throw new TagError('TAG.NOT_FOUND', `approval ${approvalId} not found`, 'approval_id');
  if (approval.status !== 'pending')
    throw new TagError(
      'TAG.FAILED_PRECONDITION',
      `approval ${approvalId} is already ${approval.status}`,
      'approval_id',
    );
  if (approval.expiresAt <= now)
    throw new TagError(
      'TAG.APPROVAL_EXPIRED',
      `approval ${approvalId} expired at ${approval.expiresAt}`,
      'approval_id',
    );
  return approval;
}
