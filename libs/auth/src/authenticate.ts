import { annotateRequest } from '@tagguard/logging';
import { TokenError, type Principal, type TokenVerifier } from './token';

export type AuthErrorCode = 'AUTH.UNAUTHENTICATED' | 'AUTH.INVALID_ARGUMENT';

/** Mapped at the gRPC edge: UNAUTHENTICATED for no or bad credentials, INVALID_ARGUMENT for a missing claim. */
export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

/** Anything with gRPC-metadata-like `get(key)`: @grpc/grpc-js Metadata, or a plain adapter in tests. */
export interface MetadataLike {
  get(key: string): (string | Buffer)[];
}

/** Reads `authorization: Bearer <token>` and returns who calls, or throws an AuthError naming the problem. */
export function authenticate(
  metadata: MetadataLike | undefined,
  verifier: TokenVerifier,
  now = new Date(),
): Principal {
  const [value] = metadata?.get('authorization') ?? [];
  if (value === undefined)
    throw new AuthError(
      'AUTH.UNAUTHENTICATED',
      'metadata "authorization" is required (Bearer token)',
      'authorization',
    );
  const match = /^Bearer\s+(\S+)$/i.exec(value.toString());
  if (!match)
    throw new AuthError(
      'AUTH.UNAUTHENTICATED',
      'metadata "authorization" must be "Bearer <token>"',
      'authorization',
    );
  try {
    const principal = verifier.verify(match[1]!, now);
    annotateRequest({ tenantId: principal.tenantId, actorId: principal.actorId });
    return principal;
  } catch (error) {
    if (error instanceof TokenError && error.problem === 'missing_claim') {
      throw new AuthError('AUTH.INVALID_ARGUMENT', error.message, `authorization.${error.claim}`);
    }
    if (error instanceof TokenError)
      throw new AuthError('AUTH.UNAUTHENTICATED', error.message, 'authorization');
    throw error;
  }
}
