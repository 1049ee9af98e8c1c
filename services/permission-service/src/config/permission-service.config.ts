import { readEnv } from '@tagguard/config';
import { readGrpcTls, type GrpcTls } from '@tagguard/grpc-runtime';

export interface PermissionServiceConfig {
  grpcHost: string;
  grpcPort: number;
  /** GRPC_TLS_CERT_FILE / GRPC_TLS_KEY_FILE (+ GRPC_TLS_CLIENT_CA_FILE for mTLS); plaintext without. */
  grpcTls?: GrpcTls;
}

export function loadPermissionServiceConfig(
  env: Record<string, string | undefined> = process.env,
): PermissionServiceConfig {
  const read = readEnv(env);
  return {
    grpcHost: read.string('GRPC_HOST', '127.0.0.1'),
    grpcPort: read.port('GRPC_PORT', 50052),
    grpcTls: readGrpcTls(env),
  };
}
