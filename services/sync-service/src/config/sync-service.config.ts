import { readEnv } from '@tagguard/config';

export interface SyncServiceConfig {
  grpcHost: string;
  grpcPort: number;
}

export function loadSyncServiceConfig(
  env: Record<string, string | undefined> = process.env,
): SyncServiceConfig {
  const read = readEnv(env);
  return { grpcHost: read.string('GRPC_HOST', '127.0.0.1'), grpcPort: read.port('GRPC_PORT', 50055) };
}
