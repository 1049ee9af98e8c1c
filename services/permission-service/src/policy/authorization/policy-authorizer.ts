import type { Principal } from '@tagguard/auth';
import { actionMatches, rolesOf, type Snapshot } from '@tagguard/permission-engine';
import { PolicyError } from '../domain/policy.errors';

/**
 * policy.manage: read the tenant's policy; policy.write: change it (policy.manage, and the caller not
 * frozen); check.others: a check about someone other than the caller.
 */
export type PolicyAction = 'policy.manage' | 'policy.write' | 'check.others';

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
    // A write asks the policy whether the caller is frozen, whatever the token says.
    if (action === 'policy.write') return false;
    return (
      principal.roles.includes(TENANT_ADMIN) ||
      (action === 'check.others' && principal.roles.includes(PERMISSION_CHECK))
    );
  }

  authorize(principal: Principal, action: PolicyAction, snapshot: () => Snapshot, now = Date.now()): void {
    if (this.grantsByToken(principal, action)) return;
    const s = snapshot();
    if (action === 'policy.write') {
      // A frozen actor (a critical operation in tag-service, or an admin's Freeze) writes no policy: not a
      // role granting themselves `*`, not their own Unfreeze; another admin lifts it.
      const f = s.policy.freezes.get(principal.actorId);
      if (f?.frozen && (f.until === null || Date.parse(f.until) > now))
        throw new PolicyError(
          'PERMISSION.PERMISSION_DENIED',
          `actor ${principal.actorId} is frozen (${f.source}${f.reason ? `: ${f.reason}` : ''}): policy writes are denied until another admin unfreezes them`,
        );
      if (principal.roles.includes(TENANT_ADMIN)) return;
    }
    const held = rolesOf(s, { employeeId: principal.actorId, tokenRoles: [] }, Date.now());
    for (const roleId of held)
      if (s.policy.roles.get(roleId)?.scopes.some((scope) => actionMatches(scope, 'policy.manage'))) return;
    throw new PolicyError(
      'PERMISSION.PERMISSION_DENIED',
      `${action === 'policy.write' ? 'policy.manage' : action} needs the ${TENANT_ADMIN} role or a role whose scope covers policy.manage`,
    );
  }
}
