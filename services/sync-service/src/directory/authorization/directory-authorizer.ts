import type { Principal } from '@tagguard/auth';
import { DirectoryError } from '../domain/directory.errors';

/** connector.*: run a source's full sync, read its status (failures name objects and errors): admins only. */
export type DirectoryAction =
  | 'directory.read'
  | 'directory.write'
  | 'connector.sync'
  | 'connector.read'
  /** The downstream channels: configure, repair, resync, and read their state (admins only). */
  | 'downstream.write'
  | 'downstream.read';

/** The port asked once per call, at the edge (permission-service will answer it later). */
export interface DirectoryAuthorizer {
  authorize(principal: Principal, action: DirectoryAction): Promise<void>;
}

export const TENANT_ADMIN = 'tenant_admin';

/** The local policy: tenant admins write their tenant's directory and run its connectors; any caller of the tenant reads it. */
export class LocalTenantAdminPolicy implements DirectoryAuthorizer {
  async authorize(principal: Principal, action: DirectoryAction): Promise<void> {
    if (action === 'directory.read' || principal.roles.includes(TENANT_ADMIN)) return;
    throw new DirectoryError(
      'DIRECTORY.PERMISSION_DENIED',
      `${action} needs the ${TENANT_ADMIN} role (local policy)`,
    );
  }
}
