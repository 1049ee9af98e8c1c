import { resolveVerifierKey, type VerifierKey } from '@tagguard/auth';
import { readEnv } from '@tagguard/config';
import { readGrpcTls, type GrpcTls } from '@tagguard/grpc-runtime';

export interface MuteServiceConfig {
  grpcHost: string;
  grpcPort: number;
  /** GRPC_TLS_CERT_FILE / GRPC_TLS_KEY_FILE (+ GRPC_TLS_CLIENT_CA_FILE for mTLS); plaintext without. */
  grpcTls?: GrpcTls;
  /** AUTH_PUBLIC_KEY_FILE, or the development key only on loopback (AUTH_ALLOW_DEV_KEY overrides). */
  auth: VerifierKey;
  /** The event store: postgres:// (PostgreSQL adapter) or kurrentdb:// / esdb:// (KurrentDB adapter). */
  eventStoreUrl: string;
  eventStoreSchema: string;
  /** LISTEN for append notifications; off behind a transaction-pooling proxy (subscriptions then poll). */
  eventStoreListen: boolean;
  /** postgres:// URL of mute-service's own read models and local copies. */
  databaseUrl: string;
  databaseSchema: string;
  poolSize: number;
  /** Kafka bootstrap servers; without them nothing is published, no copy is fed and nothing is ingested. */
  kafkaBrokers: string[];
  /** Events the relay publishes per Kafka batch (and per checkpoint). */
  relayBatchSize: number;
}

/** Reads and validates the environment; a missing or bad variable fails the start, naming it. */
export function loadMuteServiceConfig(
  env: Record<string, string | undefined> = process.env,
): MuteServiceConfig {
  const read = readEnv(env);
  const grpcHost = read.string('GRPC_HOST', '127.0.0.1');
  const databaseUrl = read.string('DATABASE_URL');
  return {
    grpcHost,
    grpcPort: read.port('GRPC_PORT', 50053),
    grpcTls: readGrpcTls(env),
    auth: resolveVerifierKey(env, grpcHost),
    eventStoreUrl: read.string('EVENTSTORE_URL', databaseUrl),
    eventStoreSchema: read.string('EVENTSTORE_SCHEMA', 'mute_eventstore'),
    eventStoreListen: read.oneOf('EVENTSTORE_LISTEN', ['true', 'false'] as const, 'true') === 'true',
    databaseUrl,
    databaseSchema: read.string('DATABASE_SCHEMA', 'mute_service'),
    poolSize: read.integer('DATABASE_POOL_SIZE', { fallback: 10, min: 1, max: 100 }),
    kafkaBrokers: read.list('KAFKA_BROKERS'),
    relayBatchSize: read.integer('RELAY_BATCH_SIZE', { fallback: 500, min: 1, max: 5_000 }),
  };
}
