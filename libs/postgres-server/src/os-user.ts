import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * PostgreSQL refuses to run as root: as root the server runs as the OS user `postgres`
 * (`TAGGUARD_PG_OS_USER` to choose another), created when the machine has none — no OS PostgreSQL
 * package is there to create it. Undefined when this process is not root (the server runs as us).
 */
export function serverOsUser(env: Record<string, string | undefined> = process.env): OsUser | undefined {
  if (userInfo().uid !== 0) return undefined;
  const name = env['TAGGUARD_PG_OS_USER'] ?? 'postgres';
  if (!ids(name)) {
    const groupExists = spawnSync('getent', ['group', name], { stdio: 'ignore' }).status === 0;
    execFileSync(
      'useradd',
      [
        '--system',
        '--no-create-home',
        '--shell',
        '/usr/sbin/nologin',
        ...(groupExists ? ['-g', name] : ['--user-group']),
        name,
      ],
      { stdio: 'ignore' },
    );
  }
  const found = ids(name);
  if (!found) throw new Error(`could not create the OS user "${name}" to run PostgreSQL as`);
  return { name, ...found };
}

function ids(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(
      execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
    const gid = Number(
      execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/**
 * Creates `root` owner-only (0700) for the user the server runs as. When that user cannot reach it (a
 * clone under a private home, a 0700 temp folder's parent), a per-path folder in /var/tmp is used instead.
 */
export function prepareRoot(root: string, user: OsUser | undefined): string {
  // Only the root itself is owner-only: its parents (.tagguard/, say) must stay traversable for that user.
  mkdirSync(dirname(root), { recursive: true });
  mkdirSync(root, { recursive: true, mode: 0o700 });
  chmodSync(root, 0o700);
  if (!user) return root;
  chownSync(root, user.uid, user.gid);
  if (canWriteAs(user, root)) return root;
  const fallback = join(
    '/var/tmp',
    `tagguard-${createHash('sha256').update(root).digest('hex').slice(0, 10)}`,
  );
  mkdirSync(fallback, { recursive: true, mode: 0o700 });
  chmodSync(fallback, 0o700);
  chownSync(fallback, user.uid, user.gid);
  return fallback;
}

function canWriteAs(user: OsUser, dir: string): boolean {
  return (
    spawnSync('test', ['-w', dir, '-a', '-x', dir], { uid: user.uid, gid: user.gid, stdio: 'ignore' })
      .status === 0
  );
}
