import type { Principal } from '@tagguard/auth';
import { TagError } from '../domain/tag.errors';
import type { TagAction, TagAuthorizer } from './tag-authorizer.port';

export const TENANT_ADMIN = 'tenant_admin';
export const PLATFORM_OPERATOR = 'platform_operator';

/** Actions on data shared by every tenant (docs/architecture.md, "Roles"). */
const PLATFORM_ACTIONS: ReadonlySet<TagAction> = new Set(['readmodels.rebuild']);

/**
 * The local policy until permission-service answers: tenant admins may do everything in their tenant;
 * any other caller may read, and is denied the rest. The assignee of a follow-up task may complete it.
 * Platform actions need the platform operator role, which no tenant role implies.
 */
export class LocalTenantAdminPolicy implements TagAuthorizer {
  async authorize(principal: Principal, action: TagAction): Promise<void> {
    if (PLATFORM_ACTIONS.has(action)) {
      if (principal.roles.includes(PLATFORM_OPERATOR)) return;
      throw new TagError(
        'TAG.PERMISSION_DENIED',
        `${action} is a platform operation: it needs the ${PLATFORM_OPERATOR} role`,
      );
    }
    if (principal.roles.includes(TENANT_ADMIN)) return;
    if (action === 'catalog.read' || action === 'members.read' || action === 'tasks.write') return;
    throw new TagError('TAG.PERMISSION_DENIED', `${action} needs the ${TENANT_ADMIN} role (local policy)`);
  }
}
