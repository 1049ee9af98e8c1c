import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '@tagguard/config';
import { keyIdOf } from '../audit-trail/tree/tree-head';

/** The Ed25519 key that signs tree heads (AUDIT_TREE_HEAD_KEY_FILE). */
export interface TreeHeadKey {
  privateKey: KeyObject;
  publicKeyPem: string;
  keyId: string;
  source: string;
  warning?: { variable: string; message: string };
}

/**
 * AUDIT_TREE_HEAD_KEY_FILE names a PEM Ed25519 private key. Outside production a missing file is
 * generated there (owner-only, 0600), as the embedded mode keeps its database password; without the
 * variable a key lives only as long as the process (heads it signed cannot be checked after a restart),
 * which production refuses.
 */
export function resolveTreeHeadKey(env: Record<string, string | undefined>): TreeHeadKey {
  const file = env['AUDIT_TREE_HEAD_KEY_FILE']?.trim();
  const production = env['TAGGUARD_ENV'] === 'production';
  if (!file) {
    if (production)
      throw new ConfigError(
        'AUDIT_TREE_HEAD_KEY_FILE',
        'must name the Ed25519 key that signs tree heads when TAGGUARD_ENV=production',
      );
    const { privateKey } = generateKeyPairSync('ed25519');
    return {
      ...describe(privateKey),
      source: 'generated for this process',
      warning: {
        variable: 'AUDIT_TREE_HEAD_KEY_FILE',
        message:
          'AUDIT_TREE_HEAD_KEY_FILE is not set: tree heads are signed with a key that dies with this process',
      },
    };
  }
  if (!existsSync(file)) {
    if (production) throw new ConfigError('AUDIT_TREE_HEAD_KEY_FILE', `does not exist: ${file}`);
    const { privateKey } = generateKeyPairSync('ed25519');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    return { ...describe(privateKey), source: `${file} (generated)` };
  }
  try {
    const privateKey = createPrivateKey(readFileSync(file, 'utf8'));
    if (privateKey.asymmetricKeyType !== 'ed25519')
      throw new Error(`a ${privateKey.asymmetricKeyType} key, not Ed25519`);
    return { ...describe(privateKey), source: file };
  } catch (error) {
    throw new ConfigError(
      'AUDIT_TREE_HEAD_KEY_FILE',
      `must be a readable PEM Ed25519 private key (${file}): ${(error as Error).message}`,
    );
  }
}

function describe(privateKey: KeyObject) {
  return {
    privateKey,
    publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(privateKey),
  };
}
