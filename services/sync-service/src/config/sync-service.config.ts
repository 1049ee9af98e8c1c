import { resolveVerifierKey, type VerifierKey } from '@tagguard/auth';
import { readEnv } from '@tagguard/config';
import { readGrpcTls, type GrpcTls } from '@tagguard/grpc-runtime';
import { loadWeComConfig, type WeComConfig } from './wecom.config';

export interface SyncServiceConfig {
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
  /** postgres:// URL of sync-service's own read models (the directory mirror). */
  databaseUrl: string;
  databaseSchema: string;
  poolSize: number;
  /** Kafka bootstrap servers; without them the relay is off and nothing leaves sync-service. */
  kafkaBrokers: string[];
  /** Events the relay publishes per Kafka batch (and per checkpoint). */
  relayBatchSize: number;
  /** The WeCom contacts connector (WECOM_*); off when WECOM_CORP_ID is unset. */
  wecom?: WeComConfig;
}

/** Reads and validates the environment; a missing or bad variable fails the start, naming it. */
export function loadSyncServiceConfig(
  env: Record<string, string | undefined> = process.env,
): SyncServiceConfig {
  const read = readEnv(env);
  const grpcHost = read.string('GRPC_HOST', '127.0.0.1');
  const databaseUrl = read.string('DATABASE_URL');
  return {
    grpcHost,
    grpcPort: read.port('GRPC_PORT', 50055),
    grpcTls: readGrpcTls(env),
    auth: resolveVerifierKey(env, grpcHost),
    eventStoreUrl: read.string('EVENTSTORE_URL', databaseUrl),
    eventStoreSchema: read.string('EVENTSTORE_SCHEMA', 'sync_eventstore'),
    eventStoreListen: read.oneOf('EVENTSTORE_LISTEN', ['true', 'false'] as const, 'true') === 'true',
    databaseUrl,
    databaseSchema: read.string('DATABASE_SCHEMA', 'sync_service'),
    poolSize: read.integer('DATABASE_POOL_SIZE', { fallback: 10, min: 1, max: 100 }),
    kafkaBrokers: read.list('KAFKA_BROKERS'),
    relayBatchSize: read.integer('RELAY_BATCH_SIZE', { fallback: 500, min: 1, max: 5_000 }),
    wecom: loadWeComConfig(env),
  };
}
