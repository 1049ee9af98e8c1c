import { readEnv } from '@tagguard/config';

export interface MuteServiceConfig {
  grpcHost: string;
  grpcPort: number;
}

export function loadMuteServiceConfig(
  env: Record<string, string | undefined> = process.env,
): MuteServiceConfig {
  const read = readEnv(env);
  return { grpcHost: read.string('GRPC_HOST', '127.0.0.1'), grpcPort: read.port('GRPC_PORT', 50053) };
}
