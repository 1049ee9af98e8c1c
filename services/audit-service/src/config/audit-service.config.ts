import { resolveVerifierKey, type VerifierKey } from '@tagguard/auth';
import { readEnv } from '@tagguard/config';
import { readGrpcTls, type GrpcTls } from '@tagguard/grpc-runtime';

export interface AuditServiceConfig {
  grpcHost: string;
  grpcPort: number;
  /** GRPC_TLS_CERT_FILE / GRPC_TLS_KEY_FILE (+ GRPC_TLS_CLIENT_CA_FILE for mTLS); plaintext without. */
  grpcTls?: GrpcTls;
  /** AUTH_PUBLIC_KEY_FILE, or the development key only on loopback (AUTH_ALLOW_DEV_KEY overrides). */
  auth: VerifierKey;
  /** postgres:// URL of audit-service's own database. */
  databaseUrl: string;
  databaseSchema: string;
  /** Kafka bootstrap servers; without them nothing is consumed and the trail stays as it is. */
  kafkaBrokers: string[];
  /** Kafka group session timeout: how soon a crashed instance's partitions move to a live one. */
  kafkaSessionTimeoutMs: number;
}

export function loadAuditServiceConfig(
  env: Record<string, string | undefined> = process.env,
): AuditServiceConfig {
  const read = readEnv(env);
  const grpcHost = read.string('GRPC_HOST', '127.0.0.1');
  const grpcPort = read.port('GRPC_PORT', 50054);
  return {
    grpcHost,
    grpcPort,
    grpcTls: readGrpcTls(env),
    auth: resolveVerifierKey(env, grpcHost),
    databaseUrl: read.string('DATABASE_URL'),
    databaseSchema: read.string('DATABASE_SCHEMA', 'audit_service'),
    kafkaBrokers: read.list('KAFKA_BROKERS'),
    kafkaSessionTimeoutMs: read.integer('KAFKA_SESSION_TIMEOUT_MS', {
      fallback: 30_000,
      min: 6_000,
      max: 300_000,
    }),
  };
}
