import { resolveVerifierKey, type VerifierKey } from '@tagguard/auth';
import { readEnv } from '@tagguard/config';
import { readGrpcTls, type GrpcTls } from './grpc-credentials';

/** Where a service serves gRPC and whose tokens it accepts: read alike by every service. */
export interface ServingConfig {
  grpcHost: string;
  grpcPort: number;
  /** GRPC_TLS_CERT_FILE / GRPC_TLS_KEY_FILE (+ GRPC_TLS_CLIENT_CA_FILE for mTLS); plaintext without. */
  grpcTls?: GrpcTls;
  /** AUTH_PUBLIC_KEY_FILE, or the development key only on loopback (AUTH_ALLOW_DEV_KEY overrides). */
  auth: VerifierKey;
}

/** GRPC_HOST (loopback by default), GRPC_PORT (the service's own default), TLS and the token key. */
export function readServingConfig(
  env: Record<string, string | undefined>,
  defaultPort: number,
): ServingConfig {
  const read = readEnv(env);
  const grpcHost = read.string('GRPC_HOST', '127.0.0.1');
  return {
    grpcHost,
    grpcPort: read.port('GRPC_PORT', defaultPort),
    grpcTls: readGrpcTls(env),
    auth: resolveVerifierKey(env, grpcHost),
  };
}

/** An event-sourced service's event store, its own database and Kafka (every service but audit-service). */
export interface EventSourcedConfig {
  /** The event store: postgres:// (PostgreSQL adapter) or kurrentdb:// / esdb:// (KurrentDB adapter). */
  eventStoreUrl: string;
  eventStoreSchema: string;
  /**
   * LISTEN for append notifications; off behind a transaction-pooling proxy (PgBouncer), where LISTEN
   * does not work: subscriptions then poll.
   */
  eventStoreListen: boolean;
  /** postgres:// URL of the service's own read models and local copies (and the event store's, unless EVENTSTORE_URL). */
  databaseUrl: string;
  databaseSchema: string;
  poolSize: number;
  /**
   * Kafka bootstrap servers. Empty: the service's main.ts starts without a transport (nothing published or
   * consumed, logged at warn); the embedded host passes its in-process transport instead.
   */
  kafkaBrokers: string[];
  /** Events the relay publishes per Kafka batch (and per checkpoint). */
  relayBatchSize: number;
}

/** DATABASE_URL (required), EVENTSTORE_* and DATABASE_* with the service's schemas, KAFKA_BROKERS, RELAY_BATCH_SIZE. */
export function readEventSourcedConfig(
  env: Record<string, string | undefined>,
  defaults: { eventStoreSchema: string; databaseSchema: string; relayBatchSize: number },
): EventSourcedConfig {
  const read = readEnv(env);
  const databaseUrl = read.string('DATABASE_URL');
  return {
    eventStoreUrl: read.string('EVENTSTORE_URL', databaseUrl),
    eventStoreSchema: read.string('EVENTSTORE_SCHEMA', defaults.eventStoreSchema),
    eventStoreListen: read.oneOf('EVENTSTORE_LISTEN', ['true', 'false'] as const, 'true') === 'true',
    databaseUrl,
    databaseSchema: read.string('DATABASE_SCHEMA', defaults.databaseSchema),
    poolSize: read.integer('DATABASE_POOL_SIZE', { fallback: 10, min: 1, max: 100 }),
    kafkaBrokers: read.list('KAFKA_BROKERS'),
    relayBatchSize: read.integer('RELAY_BATCH_SIZE', {
      fallback: defaults.relayBatchSize,
      min: 1,
      max: 5_000,
    }),
  };
}
