import { generateKeyPairSync } from 'node:crypto';
import { AuthError, authenticate } from './authenticate';
import { signToken, TokenVerifier } from './token';

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const verifier = new TokenVerifier(publicKey.export({ type: 'spki', format: 'pem' }).toString());
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const metadata = (entries: Record<string, string>) => ({
  get: (key: string) => (entries[key] === undefined ? [] : [entries[key]!]),
});
const failure = (fn: () => unknown) => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof AuthError ? { code: error.code, field: error.field } : { code: 'other' };
  }
};

describe('authenticate', () => {
  it('given a valid bearer token, then the principal is returned', () => {
    const token = signToken({ tenantId: 't1', actorId: 'u1', roles: ['tenant_admin'] }, privatePem);
    expect(authenticate(metadata({ authorization: `Bearer ${token}` }), verifier)).toEqual({
      tenantId: 't1',
      actorId: 'u1',
      roles: ['tenant_admin'],
    });
  });

  it.each([
    ['no authorization metadata', {}, 'AUTH.UNAUTHENTICATED', 'authorization'],
    ['a non-bearer scheme', { authorization: 'Basic dXNlcjpwYXNz' }, 'AUTH.UNAUTHENTICATED', 'authorization'],
    ['a forged token', { authorization: 'Bearer a.b.c' }, 'AUTH.UNAUTHENTICATED', 'authorization'],
  ])('given %s, then it is refused as %s naming %s', (_name, entries, code, field) => {
    expect(failure(() => authenticate(metadata(entries as Record<string, string>), verifier))).toEqual({
      code,
      field,
    });
  });
});
