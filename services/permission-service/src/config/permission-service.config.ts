import { readEnv } from '@tagguard/config';

export interface PermissionServiceConfig {
  grpcHost: string;
  grpcPort: number;
}

export function loadPermissionServiceConfig(
  env: Record<string, string | undefined> = process.env,
): PermissionServiceConfig {
  const read = readEnv(env);
  return { grpcHost: read.string('GRPC_HOST', '127.0.0.1'), grpcPort: read.port('GRPC_PORT', 50052) };
}
