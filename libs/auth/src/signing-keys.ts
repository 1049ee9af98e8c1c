import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The public key services verify tokens with: AUTH_PUBLIC_KEY_FILE, else (outside production) the
 * committed development key in deploy/local/dev-keys. Production without a key refuses to start.
 */
export function loadPublicKey(env: Record<string, string | undefined> = process.env): {
  pem: string;
  source: string;
} {
  const file = env['AUTH_PUBLIC_KEY_FILE'];
  if (file) return { pem: readFileSync(file, 'utf8'), source: file };
  if (env['TAGGUARD_ENV'] === 'production')
    throw new Error('AUTH_PUBLIC_KEY_FILE: is required when TAGGUARD_ENV=production');
  const dev = findDevKey('dev-signing-key.pub.pem');
  return { pem: readFileSync(dev, 'utf8'), source: `${dev} (development key)` };
}

export function loadDevPrivateKey(): string {
  return readFileSync(findDevKey('dev-signing-key.pem'), 'utf8');
}

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
