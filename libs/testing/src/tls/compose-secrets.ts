import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const workspaceRoot = join(__dirname, '..', '..', '..', '..');

export interface ComposeSecrets {
  /** Everything setup.sh wrote (signing-key.pem, client.pem/.key, compose.env, services/). */
  dir: string;
  /** What compose mounts at /run/tagguard. */
  services: string;
  read(relativePath: string): Buffer;
}

/**
 * Runs deploy/compose/setup.sh into a fresh temporary directory, so tests use exactly the key pair and
 * certificates the distributed mode is given.
 */
export function generateComposeSecrets(options: { mtls?: boolean } = {}): ComposeSecrets {
  const dir = mkdtempSync(join(tmpdir(), 'tagguard-compose-'));
  const run = spawnSync(
    'bash',
    [join(workspaceRoot, 'deploy', 'compose', 'setup.sh'), ...(options.mtls ? ['--mtls'] : []), dir],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`setup.sh failed (${run.status}): ${run.stderr}`);
  return { dir, services: join(dir, 'services'), read: (p) => readFileSync(join(dir, p)) };
}
