import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The folder holding `tagguard/**.proto`: TAGGUARD_PROTO_DIR, else the nearest `proto/` above this file
 * (the repository's in development, the copy beside the compiled service in dist/).
 */
export function protoRoot(): string {
  const override = process.env['TAGGUARD_PROTO_DIR'];
  if (override) return override;
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'tagguard'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`no proto/tagguard folder above ${__dirname}; set TAGGUARD_PROTO_DIR`);
    dir = parent;
  }
}
