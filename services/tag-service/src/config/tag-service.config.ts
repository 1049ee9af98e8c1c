import { readEnv } from '@tagguard/config';

export interface TagServiceConfig {
  grpcHost: string;
  grpcPort: number;
}

export function loadTagServiceConfig(
  env: Record<string, string | undefined> = process.env,
): TagServiceConfig {
  const read = readEnv(env);
  return { grpcHost: read.string('GRPC_HOST', '127.0.0.1'), grpcPort: read.port('GRPC_PORT', 50051) };
}
