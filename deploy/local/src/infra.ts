import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerEngineAvailable } from '@tagguard/testing';
import { type KafkaEndpoint, probeKafka, startKafka, stopKafka } from './kafka';
import { stateDir } from './paths';
import { isAlive } from './processes';
import { type PostgresEndpoint, startPostgres, stopPostgres } from './postgres';

export interface InfraState {
  mode: 'local-processes';
  startedAt: string;
  postgres: PostgresEndpoint;
  kafka: KafkaEndpoint;
}

export interface InfraStatus {
  running: boolean;
  dockerEngine: boolean;
  state?: InfraState;
  postgres: { running: boolean; url?: string; pid?: number };
  kafka: { running: boolean; brokers?: string[]; pid?: number; version?: string };
}

const stateFile = join(stateDir, 'state.json');

export function readState(): InfraState | undefined {
  if (!existsSync(stateFile)) return undefined;
  return JSON.parse(readFileSync(stateFile, 'utf8')) as InfraState;
}

/** Starts PostgreSQL and Kafka as local processes, or returns the ones already running for this checkout. */
export async function up(
  log: (line: string) => void = () => undefined,
): Promise<{ state: InfraState; started: boolean }> {
  mkdirSync(stateDir, { recursive: true });
  const existing = readState();
  if (existing && isAlive(existing.postgres.pid) && isAlive(existing.kafka.pid)) {
    await probeKafka(existing.kafka.brokers);
    return { state: existing, started: false };
  }
  if (existing) await down();

  log('starting PostgreSQL');
  const postgres = await startPostgres();
  log(`PostgreSQL ready at ${postgres.url}`);
  let kafka: KafkaEndpoint;
  try {
    log('starting Kafka');
    kafka = await startKafka(log);
  } catch (error) {
    await stopPostgres(postgres);
    throw error;
  }
  log(`Kafka ${kafka.version} ready at ${kafka.brokers.join(',')}`);
  const state: InfraState = { mode: 'local-processes', startedAt: new Date().toISOString(), postgres, kafka };
  // Owner-only: the PostgreSQL URL in it carries the password.
  writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return { state, started: true };
}

/** Stops exactly what `up` recorded in state.json, and nothing else. */
export async function down(): Promise<void> {
  const state = readState();
  if (!state) return;
  await Promise.all([stopKafka(state.kafka), stopPostgres(state.postgres)]);
  rmSync(stateFile, { force: true });
  rmSync(join(stateDir, 'kafka.pid'), { force: true });
}

export function status(): InfraStatus {
  const state = readState();
  const pgRunning = !!state && isAlive(state.postgres.pid);
  const kafkaRunning = !!state && isAlive(state.kafka.pid);
  return {
    running: pgRunning && kafkaRunning,
    dockerEngine: dockerEngineAvailable(),
    ...(state ? { state } : {}),
    postgres: pgRunning
      ? { running: true, url: state.postgres.url, pid: state.postgres.pid }
      : { running: false },
    kafka: kafkaRunning
      ? { running: true, brokers: state.kafka.brokers, pid: state.kafka.pid, version: state.kafka.version }
      : { running: false },
  };
}
