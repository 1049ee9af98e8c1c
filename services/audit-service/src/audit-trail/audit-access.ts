import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { authenticate, TokenVerifier, type MetadataLike, type Principal } from '@tagguard/auth';
import { EventContext } from '@tagguard/messaging';

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

/** Every RPC of the audit package (trail, notifications, reports — whoever adds one) is guarded here. */
export const AUDIT_PACKAGE_PATH = '/tagguard.audit.v1.';

/**
 * The one place the trail's readers are checked (issue 14 item 5): before any handler of a tagguard.audit.v1
 * service runs, the caller must hold a reader role; its handler then reads only the caller's tenant.
 * Health, reflection and service info stay open; event handlers are not calls.
 */
@Injectable()
export class AuditAccessGuard implements CanActivate {
  constructor(@Inject(TokenVerifier) private readonly verifier: TokenVerifier) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'rpc' || context.switchToRpc().getContext() instanceof EventContext)
      return true;
    const path = context.getArgByIndex<{ getPath?: () => string } | undefined>(2)?.getPath?.() ?? '';
    if (path.startsWith(AUDIT_PACKAGE_PATH))
      authorizeTrailReader(context.getArgByIndex<MetadataLike | undefined>(1), this.verifier);
    return true;
  }
}
