import { resolveVerifierKey, type VerifierKey } from '@tagguard/auth';
import { readEnv } from '@tagguard/config';
import { readGrpcTls, type GrpcTls } from '@tagguard/grpc-runtime';

export interface TagServiceConfig {
  grpcHost: string;
  grpcPort: number;
  /** GRPC_TLS_CERT_FILE / GRPC_TLS_KEY_FILE (+ GRPC_TLS_CLIENT_CA_FILE for mTLS); plaintext without. */
  grpcTls?: GrpcTls;
  /** AUTH_PUBLIC_KEY_FILE, or the development key only on loopback (AUTH_ALLOW_DEV_KEY overrides). */
  auth: VerifierKey;
  /** The event store: postgres:// (PostgreSQL adapter) or kurrentdb:// / esdb:// (KurrentDB adapter). */
  eventStoreUrl: string;
  eventStoreSchema: string;
  /**
   * LISTEN for append notifications; off behind a transaction-pooling proxy (PgBouncer), where LISTEN
   * does not work: subscriptions then poll.
   */
  eventStoreListen: boolean;
  /** postgres:// URL of tag-service's own read models. */
  databaseUrl: string;
  databaseSchema: string;
  poolSize: number;
  /** Kafka bootstrap servers; without them the relay is off and nothing leaves tag-service. */
  kafkaBrokers: string[];
  /** Events the relay publishes per Kafka batch (and per checkpoint). */
  relayBatchSize: number;
  /** How often the recycle bin's timer looks for due purges and expired approvals. */
  purgeIntervalMs: number;
  /** A snapshot of a catalogue or members stream every this many events (time-machine reads). */
  snapshotEvery: number;
  /** How often an instance folds in the policy rows other instances' consumers wrote. */
  policyRefreshMs: number;
}

export function loadTagServiceConfig(
  env: Record<string, string | undefined> = process.env,
): TagServiceConfig {
  const read = readEnv(env);
  const grpcHost = read.string('GRPC_HOST', '127.0.0.1');
  const grpcPort = read.port('GRPC_PORT', 50051);
  const databaseUrl = read.string('DATABASE_URL');
  return {
    grpcHost,
    grpcPort,
    grpcTls: readGrpcTls(env),
    auth: resolveVerifierKey(env, grpcHost),
    eventStoreUrl: read.string('EVENTSTORE_URL', databaseUrl),
    eventStoreSchema: read.string('EVENTSTORE_SCHEMA', 'eventstore'),
    eventStoreListen: read.oneOf('EVENTSTORE_LISTEN', ['true', 'false'] as const, 'true') === 'true',
    databaseUrl,
    databaseSchema: read.string('DATABASE_SCHEMA', 'tag_service'),
    poolSize: read.integer('DATABASE_POOL_SIZE', { fallback: 10, min: 1, max: 100 }),
    kafkaBrokers: read.list('KAFKA_BROKERS'),
    relayBatchSize: read.integer('RELAY_BATCH_SIZE', { fallback: 200, min: 1, max: 5_000 }),
    purgeIntervalMs: read.integer('PURGE_INTERVAL_MS', { fallback: 30_000, min: 100, max: 3_600_000 }),
    snapshotEvery: read.integer('SNAPSHOT_EVERY', { fallback: 500, min: 10, max: 1_000_000 }),
    policyRefreshMs: read.integer('POLICY_REFRESH_MS', { fallback: 500, min: 50, max: 60_000 }),
  };
}
