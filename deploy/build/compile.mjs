#!/usr/bin/env node
// Compiles one Nx project and the workspace libs into dist/<project>/ with SWC.
// The source tree is mirrored so that the @tagguard/* path aliases (read from tsconfig.base.json, the
// only place they are declared) become relative imports that stay valid in the output.
import { transformFile } from '@swc/core';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { glob } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const workspaceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// Extra roots (e.g. "services" for the embedded host) are compiled too: every <root>/**/src/**/*.ts.
const [projectRoot, projectName, ...extraRoots] = process.argv.slice(2);
if (!projectRoot || !projectName) {
  console.error('usage: compile.mjs <project-root> <project-name> [extra-root...]');
  process.exit(2);
}

const swcrc = JSON.parse(readFileSync(join(workspaceRoot, '.swcrc'), 'utf8'));
const { compilerOptions } = JSON.parse(readFileSync(join(workspaceRoot, 'tsconfig.base.json'), 'utf8'));
const outDir = join(workspaceRoot, 'dist', projectName);
rmSync(outDir, { recursive: true, force: true });

// An extra root with its own src/ (e.g. deploy/wecom-sandbox) is one project; otherwise a folder of projects.
const patterns = [
  `${projectRoot}/src/**/*.ts`,
  'libs/*/src/**/*.ts',
  ...extraRoots.map((r) => (existsSync(join(workspaceRoot, r, 'src')) ? `${r}/src/**/*.ts` : `${r}/*/src/**/*.ts`)),
];
let count = 0;
for (const pattern of patterns) {
  for await (const file of glob(pattern, { cwd: workspaceRoot })) {
    if (file.endsWith('.spec.ts') || file.endsWith('.d.ts') || file.includes('/testing/')) continue;
    const source = join(workspaceRoot, file);
    const { code, map } = await transformFile(source, {
      ...swcrc,
      swcrc: false,
      filename: source,
      sourceFileName: relative(join(outDir, dirname(file)), source),
      jsc: { ...swcrc.jsc, baseUrl: workspaceRoot, paths: compilerOptions.paths },
    });
    const target = join(outDir, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, `${code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
    if (map) writeFileSync(`${target}.map`, map);
    count++;
  }
}
cpSync(join(workspaceRoot, 'proto'), join(outDir, 'proto'), { recursive: true });
console.log(`compiled ${count} files into ${relative(workspaceRoot, outDir)}`);
