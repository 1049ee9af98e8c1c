import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** Who calls: the tenant they act in, their user id, their roles and department. */
export interface Principal {
  tenantId: string;
  actorId: string;
  roles: string[];
  departmentId?: string;
}

export type TokenProblem =
  'malformed' | 'bad_signature' | 'expired' | 'not_yet_valid' | 'wrong_issuer' | 'missing_claim';

export class TokenError extends Error {
  constructor(
    readonly problem: TokenProblem,
    message: string,
    /** The claim at fault, for missing_claim. */
    readonly claim?: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

const ISSUER = 'tagguard';
const HEADER = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' })).toString('base64url');

/** A compact JWS (JWT) signed with Ed25519: `tid` tenant, `sub` actor, `roles`, `dept`. */
export function signToken(
  principal: Principal,
  privateKeyPem: string,
  ttlSeconds = 3600,
  now = new Date(),
): string {
  const iat = Math.floor(now.getTime() / 1000);
  const payload = {
    iss: ISSUER,
    tid: principal.tenantId,
    sub: principal.actorId,
    roles: principal.roles,
    ...(principal.departmentId ? { dept: principal.departmentId } : {}),
    iat,
    exp: iat + ttlSeconds,
  };
  const signingInput = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = sign(null, Buffer.from(signingInput), createPrivateKey(privateKeyPem)).toString(
    'base64url',
  );
  return `${signingInput}.${signature}`;
}

/** Claims of a token whose signature verified: the time checks and the principal, re-read on every use. */
interface VerifiedClaims {
  principal: Principal;
  exp: number;
  iat: number | undefined;
}

/**
 * Verifies tokens; a token whose signature verified once is remembered (bounded) by its exact text, so the
 * Ed25519 check (~200 µs here, the largest cost of a cheap RPC) runs once per token, not once per call. Expiry
 * and issue time are checked on every call, cached or not: a remembered token still expires.
 */
export class TokenVerifier {
  private readonly key: KeyObject;
  private readonly verified = new Map<string, VerifiedClaims>();

  constructor(
    publicKeyPem: string,
    private readonly clockSkewSeconds = 30,
    private readonly maxRemembered = 10_000,
  ) {
    this.key = createPublicKey(publicKeyPem);
  }

  verify(token: string, now = new Date()): Principal {
    const claims = this.verified.get(token) ?? this.verifySignature(token);
    const seconds = Math.floor(now.getTime() / 1000);
    if (claims.exp + this.clockSkewSeconds < seconds) {
      this.verified.delete(token);
      throw new TokenError('expired', 'token has expired');
    }
    if (claims.iat !== undefined && claims.iat - this.clockSkewSeconds > seconds)
      throw new TokenError('not_yet_valid', 'token is issued in the future');
    return { ...claims.principal, roles: [...claims.principal.roles] };
  }

  private verifySignature(token: string): VerifiedClaims {
    const parts = token.split('.');
    if (parts.length !== 3)
      throw new TokenError('malformed', 'token is not a compact JWS (three dot-separated parts)');
    const [header, payload, signature] = parts as [string, string, string];
    let claims: Record<string, unknown>;
    try {
      if (JSON.parse(Buffer.from(header, 'base64url').toString()).alg !== 'EdDSA') throw new Error('alg');
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    } catch {
      throw new TokenError('malformed', 'token header or payload is not EdDSA JSON');
    }
    if (!verify(null, Buffer.from(`${header}.${payload}`), this.key, Buffer.from(signature, 'base64url'))) {
      throw new TokenError('bad_signature', 'token signature does not verify');
    }
    if (claims['iss'] !== ISSUER) throw new TokenError('wrong_issuer', `token issuer must be "${ISSUER}"`);
    if (typeof claims['exp'] !== 'number') throw new TokenError('expired', 'token has expired');
    for (const claim of ['tid', 'sub'] as const) {
      if (typeof claims[claim] !== 'string' || claims[claim] === '') {
        throw new TokenError(
          'missing_claim',
          `token claim "${claim}" (${claim === 'tid' ? 'tenant' : 'actor'}) is required`,
          claim,
        );
      }
    }
    const roles = Array.isArray(claims['roles'])
      ? claims['roles'].filter((r): r is string => typeof r === 'string')
      : [];
    const verified: VerifiedClaims = {
      principal: {
        tenantId: claims['tid'] as string,
        actorId: claims['sub'] as string,
        roles,
        ...(typeof claims['dept'] === 'string' ? { departmentId: claims['dept'] } : {}),
      },
      exp: claims['exp'],
      iat: typeof claims['iat'] === 'number' ? claims['iat'] : undefined,
    };
    // Bounded: past the limit the oldest remembered token goes (Map keeps insertion order).
    if (this.verified.size >= this.maxRemembered) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, verified);
    return verified;
  }
}
