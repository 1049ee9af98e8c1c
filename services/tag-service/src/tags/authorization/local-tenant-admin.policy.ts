import type { Principal } from '@tagguard/auth';
import { TagError } from '../domain/tag.errors';
import type { TagAction, TagAuthorizer } from './tag-authorizer.port';

export const TENANT_ADMIN = 'tenant_admin';

/**
 * The local policy until permission-service answers: tenant admins may do everything; any other caller
 * may read, and is denied the rest. The assignee of a follow-up task may complete it.
 */
export class LocalTenantAdminPolicy implements TagAuthorizer {
  async authorize(principal: Principal, action: TagAction): Promise<void> {
    if (principal.roles.includes(TENANT_ADMIN)) return;
    if (action === 'catalog.read' || action === 'members.read' || action === 'tasks.write') return;
    throw new TagError('TAG.PERMISSION_DENIED', `${action} needs the ${TENANT_ADMIN} role (local policy)`);
  }
}
