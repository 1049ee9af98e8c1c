import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLoopbackHost, loadDevPrivateKey, resolveVerifierKey } from './signing-keys';
import { signToken, TokenVerifier } from './token';

const dir = mkdtempSync(join(tmpdir(), 'tagguard-keys-'));
const ownKey = join(dir, 'own.pub.pem');
writeFileSync(
  ownKey,
  generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString(),
);
// The development public key under another name must still count as the development key.
const copiedDevKey = join(dir, 'copied.pub.pem');
writeFileSync(copiedDevKey, resolveVerifierKey({}, '127.0.0.1').pem);

describe('which key a service verifies tokens with', () => {
  it.each(['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])(
    'given GRPC_HOST=%s (loopback), the development key is accepted without a warning',
    (host) => {
      const key = resolveVerifierKey({}, host);
      expect(key).toMatchObject({ development: true });
      expect(key.warning).toBeUndefined();
      const token = signToken({ tenantId: 't', actorId: 'a', roles: [] }, loadDevPrivateKey());
      expect(new TokenVerifier(key.pem).verify(token).tenantId).toBe('t');
    },
  );

  it.each(['0.0.0.0', '::', '10.0.0.7', 'tag-service', ''])(
    'given GRPC_HOST=%s (not loopback) and no key, start is refused naming AUTH_PUBLIC_KEY_FILE and AUTH_ALLOW_DEV_KEY',
    (host) => {
      expect(() => resolveVerifierKey({}, host)).toThrow(/^AUTH_PUBLIC_KEY_FILE: .*AUTH_ALLOW_DEV_KEY=true/);
    },
  );

  it('given a copy of the development key as AUTH_PUBLIC_KEY_FILE on 0.0.0.0, it is refused as well', () => {
    expect(() => resolveVerifierKey({ AUTH_PUBLIC_KEY_FILE: copiedDevKey }, '0.0.0.0')).toThrow(
      /AUTH_PUBLIC_KEY_FILE: .*development key/,
    );
  });

  it('given AUTH_ALLOW_DEV_KEY=true on 0.0.0.0, the development key is accepted with a warning to log', () => {
    expect(resolveVerifierKey({ AUTH_ALLOW_DEV_KEY: 'true' }, '0.0.0.0')).toMatchObject({
      development: true,
      warning: {
        variable: 'AUTH_ALLOW_DEV_KEY',
        message: expect.stringMatching(/^AUTH_ALLOW_DEV_KEY=true: .*GRPC_HOST=0\.0\.0\.0/),
      },
    });
  });

  it('given TAGGUARD_ENV=production, the development key is refused even on loopback or when allowed', () => {
    for (const env of [{}, { AUTH_ALLOW_DEV_KEY: 'true' }, { AUTH_PUBLIC_KEY_FILE: copiedDevKey }])
      expect(() => resolveVerifierKey({ ...env, TAGGUARD_ENV: 'production' }, '127.0.0.1')).toThrow(
        /^AUTH_PUBLIC_KEY_FILE: .*TAGGUARD_ENV=production/,
      );
  });

  it('given an own public key, it is used on any address', () => {
    expect(resolveVerifierKey({ AUTH_PUBLIC_KEY_FILE: ownKey }, '0.0.0.0')).toMatchObject({
      source: ownKey,
      development: false,
    });
  });

  it('given a bad AUTH_ALLOW_DEV_KEY or an unreadable key file, the variable is named', () => {
    expect(() => resolveVerifierKey({ AUTH_ALLOW_DEV_KEY: 'yes' }, '127.0.0.1')).toThrow(
      'AUTH_ALLOW_DEV_KEY: must be one of true, false, got "yes"',
    );
    expect(() => resolveVerifierKey({ AUTH_PUBLIC_KEY_FILE: join(dir, 'none.pem') }, '0.0.0.0')).toThrow(
      /^AUTH_PUBLIC_KEY_FILE: must be a readable PEM public key/,
    );
  });

  it('knows loopback from everything else', () => {
    expect(['127.0.0.1', 'localhost', '::1'].map(isLoopbackHost)).toEqual([true, true, true]);
    expect(['0.0.0.0', '128.0.0.1', '127.example.com', '::'].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
