#!/usr/bin/env node
// Runs the five TagGuard services from their builds in dist/, one process each, prints their endpoints,
// and stops them all (SIGTERM, then wait) on Ctrl-C or when any one of them dies.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const basePort = Number(process.env.TAGGUARD_BASE_PORT ?? 50051);
const host = process.env.GRPC_HOST ?? '127.0.0.1';
const services = ['tag-service', 'permission-service', 'mute-service', 'audit-service', 'sync-service'];

const children = services.map((name, index) => {
  const main = join(root, 'dist', name, 'services', name, 'src', 'main.js');
  if (!existsSync(main)) {
    console.error(`${main} is missing: build first (npx nx run-many -t build)`);
    process.exit(1);
  }
  const port = basePort + index;
  const child = spawn(process.execPath, ['--enable-source-maps', main], {
    env: { ...process.env, GRPC_HOST: host, GRPC_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started = new Promise((resolveStarted) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      process.stdout.write(`${line}\n`);
      if (line.includes('"event":"service.started"')) resolveStarted();
    });
  });
  return {
    name,
    port,
    child,
    started,
    exited: new Promise((r) => child.once('exit', (code, signal) => r({ code, signal }))),
  };
});

let stopping = false;
async function stopAll(reason, exitCode) {
  if (stopping) return;
  stopping = true;
  console.error(`[tagguard] stopping all services (${reason})`);
  for (const { child } of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.all(children.map((c) => c.exited));
  process.exit(exitCode);
}

process.on('SIGINT', () => stopAll('SIGINT', 0));
process.on('SIGTERM', () => stopAll('SIGTERM', 0));
for (const c of children) {
  c.exited.then(({ code, signal }) => {
    if (!stopping) stopAll(`${c.name} exited (code ${code}, signal ${signal})`, 1);
  });
}

await Promise.all(children.map((c) => c.started));
console.error('\n[tagguard] TagGuard is running. gRPC endpoints (health + reflection on each):');
for (const c of children) console.error(`  ${c.name.padEnd(20)} ${host}:${c.port}`);
console.error('[tagguard] Ctrl-C stops everything.\n');
