import type { Principal } from '@tagguard/auth';
import { actionMatches, rolesOf, type Snapshot } from '@tagguard/permission-engine';
import { PolicyError } from '../domain/policy.errors';

/** policy.manage: write or read the tenant's policy; check.others: a check about someone other than the caller. */
export type PolicyAction = 'policy.manage' | 'check.others';

export const TENANT_ADMIN = 'tenant_admin';
/** A token role for platform callers (services) that check on behalf of their users. */
export const PERMISSION_CHECK = 'permission.check';

/**
 * Asked once per call, at the edge. Managing the policy needs the token role tenant_admin, or a
 * permission-service role (assigned to the caller, directly or through a department) whose function scope
 * covers `policy.manage`, read from the latest local policy. Checks about others need the same, or the
 * token role permission.check.
 */
export class PolicyAuthorizer {
  /** Does the token alone answer yes (no policy lookup needed)? */
  grantsByToken(principal: Principal, action: PolicyAction): boolean {
    return (
      principal.roles.includes(TENANT_ADMIN) ||
      (action === 'check.others' && principal.roles.includes(PERMISSION_CHECK))
    );
  }

  authorize(principal: Principal, action: PolicyAction, snapshot: () => Snapshot): void {
    if (this.grantsByToken(principal, action)) return;
    const s = snapshot();
    const held = rolesOf(s, { employeeId: principal.actorId, tokenRoles: [] }, Date.now());
    for (const roleId of held)
      if (s.policy.roles.get(roleId)?.scopes.some((scope) => actionMatches(scope, 'policy.manage'))) return;
    throw new PolicyError(
      'PERMISSION.PERMISSION_DENIED',
      `${action} needs the ${TENANT_ADMIN} role or a role whose scope covers policy.manage`,
    );
  }
}
