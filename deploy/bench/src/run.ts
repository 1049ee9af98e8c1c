import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { down, up, workspaceRoot } from '@tagguard/local-infra';
import { benchmarks, withoutInfra } from './registry';

// `npm run bench -- <name>`: runs one benchmark against the real local servers, prints its JSON and
// writes it to bench-results/<name>-<timestamp>.json. Each benchmark measures its raw baseline in the same run.
async function main(): Promise<number> {
  const name = process.argv[2];
  const bench = name ? benchmarks[name] : undefined;
  if (!bench) {
    console.error(`usage: npm run bench -- <${Object.keys(benchmarks).join(' | ')}>`);
    return 2;
  }
  const servers = !withoutInfra.has(name as string);
  const { state, started } = servers
    ? await up((line) => process.stderr.write(`[infra] ${line}\n`))
    : { state: { postgres: { url: '' }, kafka: { brokers: [] as string[] } }, started: false };
  try {
    const result = {
      benchmark: name,
      at: new Date().toISOString(),
      machine: { node: process.version, cpus: (await import('node:os')).cpus().length },
      ...(await bench({
        postgresUrl: state.postgres.url,
        kafkaBrokers: state.kafka.brokers,
        ldap: state.slapd,
      })),
    };
    const json = JSON.stringify(result, null, 2);
    console.log(json);
    const dir = join(workspaceRoot, 'bench-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}-${result.at.replace(/[:.]/g, '-')}.json`), `${json}\n`);
    return 0;
  } catch (error) {
    // Said before the servers stop: a benchmark's idle pool may crash the process on their shutdown.
    console.error(error);
    return 1;
  } finally {
    if (started) await down();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
