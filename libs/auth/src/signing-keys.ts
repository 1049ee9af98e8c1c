import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { ConfigError, readEnv } from '@tagguard/config';

/** SHA-256 of the committed development public key (SPKI DER), so a copy of it is known under any name. */
const DEV_KEY_FINGERPRINT = 'e1389a4e8ebe715c2bba72d5776b2fecc21369e125e34fb0d7792d45af044653';

export interface VerifierKey {
  pem: string;
  /** Where it came from, for the start log. */
  source: string;
  /** The committed development key: anyone with the repository can mint tokens it accepts. */
  development: boolean;
  /** Set when the development key is accepted only because AUTH_ALLOW_DEV_KEY=true; log it at warn. */
  warning?: { variable: string; message: string };
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * The public key a service verifies caller tokens with, decided once at start (config), failing fast
 * with the variable named: AUTH_PUBLIC_KEY_FILE, else the committed development key — which is refused
 * when TAGGUARD_ENV=production, and when the service binds anything but loopback (`grpcHost`) unless
 * AUTH_ALLOW_DEV_KEY=true. A file holding the development key counts as the development key.
 */
export function resolveVerifierKey(env: Record<string, string | undefined>, grpcHost: string): VerifierKey {
  const read = readEnv(env);
  const file = read.optional('AUTH_PUBLIC_KEY_FILE');
  const allowDev = read.oneOf('AUTH_ALLOW_DEV_KEY', ['true', 'false'] as const, 'false') === 'true';
  const key = file ? publicKeyFile(file) : developmentKey();
  if (!key.development) return key;
  const production = env['TAGGUARD_ENV'] === 'production';
  if (production)
    throw new ConfigError(
      'AUTH_PUBLIC_KEY_FILE',
      `must name your own public key when TAGGUARD_ENV=production (${key.source} is the committed development key)`,
    );
  if (isLoopbackHost(grpcHost)) return key;
  const exposure = `GRPC_HOST=${grpcHost} is not a loopback address, and the committed development key (${key.source}) signs tokens anyone can mint`;
  if (!allowDev)
    throw new ConfigError(
      'AUTH_PUBLIC_KEY_FILE',
      `must name your own public key: ${exposure}. Generate a pair (deploy/compose/setup.sh), or set AUTH_ALLOW_DEV_KEY=true to accept the development key anyway`,
    );
  return {
    ...key,
    warning: {
      variable: 'AUTH_ALLOW_DEV_KEY',
      message: `AUTH_ALLOW_DEV_KEY=true: accepting the development key although ${exposure}`,
    },
  };
}

/** The committed development private key (tests, the local token CLI). */
export function loadDevPrivateKey(): string {
  return readFileSync(findDevKey('dev-signing-key.pem'), 'utf8');
}

/** AUTH_PRIVATE_KEY_FILE (e.g. the pair deploy/compose/setup.sh generated), else the development key. */
export function loadSigningPrivateKey(env: Record<string, string | undefined> = process.env): string {
  const file = readEnv(env).optional('AUTH_PRIVATE_KEY_FILE');
  if (!file) return loadDevPrivateKey();
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('AUTH_PRIVATE_KEY_FILE', `cannot be read: ${(error as Error).message}`);
  }
}

function publicKeyFile(file: string): VerifierKey {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
    return { pem, source: file, development: fingerprint(pem) === DEV_KEY_FINGERPRINT };
  } catch (error) {
    throw new ConfigError(
      'AUTH_PUBLIC_KEY_FILE',
      `must be a readable PEM public key (${file}): ${(error as Error).message}`,
    );
  }
}

function developmentKey(): VerifierKey {
  let file: string;
  try {
    file = findDevKey('dev-signing-key.pub.pem');
  } catch {
    throw new ConfigError('AUTH_PUBLIC_KEY_FILE', 'is required: this installation has no development key');
  }
  return { pem: readFileSync(file, 'utf8'), source: `${file} (development key)`, development: true };
}

const fingerprint = (pem: string): string =>
  createHash('sha256')
    .update(createPublicKey(pem).export({ type: 'spki', format: 'der' }))
    .digest('hex');

function findDevKey(name: string): string {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'deploy', 'local', 'dev-keys', name);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`development key ${name} not found; set AUTH_PUBLIC_KEY_FILE`);
    dir = parent;
  }
}
