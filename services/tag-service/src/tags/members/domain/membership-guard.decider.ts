import { activeNode, type CommandBase } from '../../domain/catalog-guards';
import type { MemberRef, TagCatalogEvent } from '../../domain/tag-catalog.events';
import type { TagCatalogState } from '../../domain/tag-catalog.state';
import { TagError } from '../../domain/tag.errors';
import { requestApproval } from '../../governance/domain/four-eyes';
import { reportRemoval } from '../../governance/domain/freezes.decider';

export type MembershipGuardCommand = {
  type: 'GuardMembershipChange';
  data: CommandBase & {
    change: 'add_members' | 'remove_members';
    tagId: string;
    members: MemberRef[];
    attributes?: Record<string, Record<string, string>>;
    operationId: string;
    approvalId: string;
  };
};

/**
 * The catalogue's say on a membership change, decided before the members stream is written: a
 * protected tag holds it for approval; a removal is graded by the sensitive-operation policy.
 */
export function decideMembershipGuard(
  command: MembershipGuardCommand,
  state: TagCatalogState,
): TagCatalogEvent[] {
  const { tagId, change, members, attributes } = command.data;
  const tag = activeNode(state, tagId, 'tag_id');
  if (tag.nodeType !== 'tag')
    throw new TagError('TAG.INVALID_ARGUMENT', 'members go on tags, not on tag groups', 'tag_id');
  if (tag.protected) {
    // Kept with the approval, so the change it executes later is the one that was asked for.
    const operation =
      change === 'add_members'
        ? { type: change, tagId, members, ...(attributes ? { attributes } : {}) }
        : { type: change, tagId, members };
    return [requestApproval(state, command.data, operation, command.data.approvalId)];
  }
  if (change !== 'remove_members') return [];
  return reportRemoval(state, command.data, tag, members.length, null);
}
