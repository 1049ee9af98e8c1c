import { readEnv } from '@tagguard/config';

export interface AuditServiceConfig {
  grpcHost: string;
  grpcPort: number;
}

export function loadAuditServiceConfig(
  env: Record<string, string | undefined> = process.env,
): AuditServiceConfig {
  const read = readEnv(env);
  return { grpcHost: read.string('GRPC_HOST', '127.0.0.1'), grpcPort: read.port('GRPC_PORT', 50054) };
}
