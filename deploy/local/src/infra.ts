import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerEngineAvailable } from '@tagguard/testing';
import { type KafkaEndpoint, probeKafka, startKafka, stopKafka } from './kafka';
import { stateDir } from './paths';
import { isAlive } from './processes';
import { type PostgresEndpoint, startPostgres, stopPostgres } from './postgres';
import { type SlapdEndpoint, startSlapd, stopSlapd } from './slapd';

export interface InfraState {
  mode: 'local-processes';
  startedAt: string;
  postgres: PostgresEndpoint;
  kafka: KafkaEndpoint;
  /** OpenLDAP (Debian's slapd): the LDAP connector's tests and the ldap-resync benchmark. */
  slapd: SlapdEndpoint;
}

export interface InfraStatus {
  running: boolean;
  dockerEngine: boolean;
  state?: InfraState;
  postgres: { running: boolean; url?: string; pid?: number };
  kafka: { running: boolean; brokers?: string[]; pid?: number; version?: string };
  slapd: { running: boolean; url?: string; pid?: number; version?: string; baseDn?: string };
}

const stateFile = join(stateDir, 'state.json');

/** A URL fit for a log line: the password is in the state file (`npm run infra -- status --json`), not in logs. */
export function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

export function readState(): InfraState | undefined {
  if (!existsSync(stateFile)) return undefined;
  return JSON.parse(readFileSync(stateFile, 'utf8')) as InfraState;
}

/** Starts PostgreSQL, Kafka and slapd as local processes, or returns the ones already running for this checkout. */
export async function up(
  log: (line: string) => void = () => undefined,
): Promise<{ state: InfraState; started: boolean }> {
  mkdirSync(stateDir, { recursive: true });
  const existing = readState();
  if (existing && isAlive(existing.postgres.pid) && isAlive(existing.kafka.pid)) {
    await probeKafka(existing.kafka.brokers);
    if (existing.slapd && isAlive(existing.slapd.pid)) return { state: existing, started: false };
    // Started before slapd was part of the set (or slapd died): add it, keep the rest.
    log('starting slapd');
    const state: InfraState = { ...existing, slapd: await startSlapd(log) };
    writeState(state);
    return { state, started: false };
  }
  if (existing) await down();

  log('starting PostgreSQL');
  const postgres = await startPostgres();
  log(`PostgreSQL ready at ${withoutPassword(postgres.url)}`);
  let kafka: KafkaEndpoint;
  try {
    log('starting Kafka');
    kafka = await startKafka(log);
  } catch (error) {
    await stopPostgres(postgres);
    throw error;
  }
  log(`Kafka ${kafka.version} ready at ${kafka.brokers.join(',')}`);
  let slapd: SlapdEndpoint;
  try {
    slapd = await startSlapd(log);
  } catch (error) {
    await Promise.all([stopKafka(kafka), stopPostgres(postgres)]);
    throw error;
  }
  log(`slapd ${slapd.version} ready at ${slapd.url} (${slapd.baseDn})`);
  const state: InfraState = {
    mode: 'local-processes',
    startedAt: new Date().toISOString(),
    postgres,
    kafka,
    slapd,
  };
  writeState(state);
  return { state, started: true };
}

function writeState(state: InfraState): void {
  // Owner-only: the PostgreSQL URL in it carries the password.
  writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** Stops exactly what `up` recorded in state.json, and nothing else. */
export async function down(): Promise<void> {
  const state = readState();
  if (!state) return;
  await Promise.all([
    stopKafka(state.kafka),
    stopPostgres(state.postgres),
    ...(state.slapd ? [stopSlapd(state.slapd)] : []),
  ]);
  rmSync(stateFile, { force: true });
  rmSync(join(stateDir, 'kafka.pid'), { force: true });
  rmSync(join(stateDir, 'slapd.pid'), { force: true });
}

export function status(): InfraStatus {
  const state = readState();
  const pgRunning = !!state && isAlive(state.postgres.pid);
  const kafkaRunning = !!state && isAlive(state.kafka.pid);
  const slapdRunning = !!state?.slapd && isAlive(state.slapd.pid);
  return {
    running: pgRunning && kafkaRunning && slapdRunning,
    dockerEngine: dockerEngineAvailable(),
    ...(state ? { state } : {}),
    postgres: pgRunning
      ? { running: true, url: state.postgres.url, pid: state.postgres.pid }
      : { running: false },
    kafka: kafkaRunning
      ? { running: true, brokers: state.kafka.brokers, pid: state.kafka.pid, version: state.kafka.version }
      : { running: false },
    slapd:
      slapdRunning && state.slapd
        ? {
            running: true,
            url: state.slapd.url,
            pid: state.slapd.pid,
            version: state.slapd.version,
            baseDn: state.slapd.baseDn,
          }
        : { running: false },
  };
}
