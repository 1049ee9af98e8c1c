import type { PermissionActionV1 } from '@tagguard/contracts';
import type { TagFacts } from '@tagguard/permission-engine';
import type { TagKind } from '../../domain/tag-catalog.events';
import type { TagAction } from '../tag-authorizer.port';

/** Actions asked of the engine per tag: the tag's kind decides which family (member/customer/partner). */
export function engineAction(action: TagAction, kind: TagKind): PermissionActionV1 {
  switch (action) {
    case 'catalog.read':
    case 'members.read':
      return `${kind}_tags.view`;
    case 'catalog.write':
      return `${kind}_tags.edit`;
    case 'members.write':
      return `${kind}_tags.manage_members`;
    case 'governance.write':
    case 'approval.decide':
      return 'governance.manage';
    case 'tasks.write':
    case 'readmodels.rebuild':
      throw new Error(`${action} is not asked of the permission engine`);
  }
}

export const TAG_KINDS: readonly TagKind[] = ['member', 'customer', 'partner'];

/**
 * The resource a tenant-wide action is checked on (a governance change, a point-in-time restore, a write
 * naming a tag the caller cannot see or that does not exist): a root group visible to everyone, so only
 * the caller's roles, the rules naming no particular tag, and freezes decide.
 */
export function tenantResource(tenantId: string, kind: TagKind = 'member'): TagFacts {
  return {
    tagId: `tenant:${tenantId}:${kind}`,
    kind,
    isGroup: true,
    parentId: null,
    visibility: { restricted: false, departments: [], roles: [], memberIds: [] },
    sensitive: false,
  };
}
