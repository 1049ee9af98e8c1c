import { authenticate, type MetadataLike, type Principal, type TokenVerifier } from '@tagguard/auth';

/** Who may read a tenant's trail, its proofs and tree heads (issue 14, item 5). */
export const TRAIL_READER_ROLES = ['auditor', 'security_officer', 'tenant_admin'] as const;

export class AuditError extends Error {
  constructor(
    readonly code:
      'AUDIT.INVALID_ARGUMENT' | 'AUDIT.PERMISSION_DENIED' | 'AUDIT.NOT_FOUND' | 'AUDIT.FAILED_PRECONDITION',
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The caller, if one of its roles reads the trail; its tenant is the only log it ever sees. */
export function authorizeTrailReader(metadata: MetadataLike | undefined, verifier: TokenVerifier): Principal {
  const principal = authenticate(metadata, verifier);
  if (!principal.roles.some((role) => (TRAIL_READER_ROLES as readonly string[]).includes(role)))
    throw new AuditError(
      'AUDIT.PERMISSION_DENIED',
      `reading the audit trail needs one of the roles ${TRAIL_READER_ROLES.join(', ')}`,
      'authorization.roles',
    );
  return principal;
}
