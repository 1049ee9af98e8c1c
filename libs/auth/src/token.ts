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

export class TokenVerifier {
  private readonly key: KeyObject;

  constructor(
    publicKeyPem: string,
    private readonly clockSkewSeconds = 30,
  ) {
    this.key = createPublicKey(publicKeyPem);
  }

  verify(token: string, now = new Date()): Principal {
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
    const seconds = Math.floor(now.getTime() / 1000);
    if (claims['iss'] !== ISSUER) throw new TokenError('wrong_issuer', `token issuer must be "${ISSUER}"`);
    if (typeof claims['exp'] !== 'number' || claims['exp'] + this.clockSkewSeconds < seconds)
      throw new TokenError('expired', 'token has expired');
    if (typeof claims['iat'] === 'number' && claims['iat'] - this.clockSkewSeconds > seconds) {
      throw new TokenError('not_yet_valid', 'token is issued in the future');
    }
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
    return {
      tenantId: claims['tid'] as string,
      actorId: claims['sub'] as string,
      roles,
      ...(typeof claims['dept'] === 'string' ? { departmentId: claims['dept'] } : {}),
    };
  }
}
