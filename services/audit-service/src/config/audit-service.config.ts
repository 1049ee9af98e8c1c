import { readEnv } from '@tagguard/config';

export interface AuditServiceConfig {
  grpcHost: string;
  grpcPort: number;
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
