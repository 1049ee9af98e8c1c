import { generateKeyPairSync, sign, createPrivateKey } from 'node:crypto';
import { signToken, TokenError, TokenVerifier } from './token';

const pair = () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
};
const keys = pair();
const principal = {
  tenantId: 'tenant-a',
  actorId: 'user-1',
  roles: ['tenant_admin'],
  departmentId: 'dept-sales',
};
const problem = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof TokenError ? [error.problem, error.claim] : ['not a TokenError'];
  }
  return ['no error'];
};

describe('signed tokens', () => {
  it('given a token signed with the private key, when verified with the public key, then the principal comes back', () => {
    expect(new TokenVerifier(keys.publicPem).verify(signToken(principal, keys.privatePem))).toEqual(
      principal,
    );
  });

  it('given a token signed by another key, then verification fails as bad_signature', () => {
    expect(
      problem(() => new TokenVerifier(keys.publicPem).verify(signToken(principal, pair().privatePem))),
    ).toEqual(['bad_signature', undefined]);
  });

  it('given a token whose payload was edited, then verification fails as bad_signature', () => {
    const [h, , s] = signToken(principal, keys.privatePem).split('.');
    const forged = Buffer.from(
      JSON.stringify({ iss: 'tagguard', tid: 'tenant-b', sub: 'user-1', exp: 9e9 }),
    ).toString('base64url');
    expect(problem(() => new TokenVerifier(keys.publicPem).verify(`${h}.${forged}.${s}`))).toEqual([
      'bad_signature',
      undefined,
    ]);
  });

  it('given an expired token, then it is refused', () => {
    const old = signToken(principal, keys.privatePem, 60, new Date(Date.now() - 3_600_000));
    expect(problem(() => new TokenVerifier(keys.publicPem).verify(old))).toEqual(['expired', undefined]);
  });

  it('given garbage, then it is malformed', () => {
    expect(problem(() => new TokenVerifier(keys.publicPem).verify('not-a-token'))).toEqual([
      'malformed',
      undefined,
    ]);
  });

  it('given a validly signed token without a tenant, then the missing claim is named', () => {
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ iss: 'tagguard', sub: 'user-1', exp: Math.floor(Date.now() / 1000) + 60 }),
    ).toString('base64url');
    const signature = sign(
      null,
      Buffer.from(`${header}.${payload}`),
      createPrivateKey(keys.privatePem),
    ).toString('base64url');
    expect(
      problem(() => new TokenVerifier(keys.publicPem).verify(`${header}.${payload}.${signature}`)),
    ).toEqual(['missing_claim', 'tid']);
  });
});

describe('remembered tokens', () => {
  it('given a token verified once, when it is verified again after it expired, then it is refused as expired', () => {
    const verifier = new TokenVerifier(keys.publicPem);
    const token = signToken(principal, keys.privatePem, 60);
    expect(verifier.verify(token)).toEqual(principal);
    expect(problem(() => verifier.verify(token, new Date(Date.now() + 3_600_000)))).toEqual([
      'expired',
      undefined,
    ]);
  });

  it('given a remembered token, when a caller changes the principal it got, then the next call gets the original', () => {
    const verifier = new TokenVerifier(keys.publicPem);
    const token = signToken(principal, keys.privatePem);
    verifier.verify(token).roles.push('platform_admin');
    expect(verifier.verify(token).roles).toEqual(['tenant_admin']);
  });

  it('given a token that failed verification, when it is presented again, then it fails again', () => {
    const verifier = new TokenVerifier(keys.publicPem);
    const forged = signToken(principal, pair().privatePem);
    expect(problem(() => verifier.verify(forged))).toEqual(['bad_signature', undefined]);
    expect(problem(() => verifier.verify(forged))).toEqual(['bad_signature', undefined]);
  });
});
