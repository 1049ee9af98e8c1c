import { readEnv } from '@tagguard/config';
import { readGrpcTls, type GrpcTls } from '@tagguard/grpc-runtime';
import { loadWeComConfig, type WeComConfig } from './wecom.config';

export interface SyncServiceConfig {
  grpcHost: string;
  grpcPort: number;
  /** GRPC_TLS_CERT_FILE / GRPC_TLS_KEY_FILE (+ GRPC_TLS_CLIENT_CA_FILE for mTLS); plaintext without. */
  grpcTls?: GrpcTls;
  /** The WeCom contacts connector (WECOM_*); off when WECOM_CORP_ID is unset. */
  wecom?: WeComConfig;
}

export function loadSyncServiceConfig(
  env: Record<string, string | undefined> = process.env,
): SyncServiceConfig {
  const read = readEnv(env);
  return {
    grpcHost: read.string('GRPC_HOST', '127.0.0.1'),
    grpcPort: read.port('GRPC_PORT', 50055),
    grpcTls: readGrpcTls(env),
    wecom: loadWeComConfig(env),
  };
}
