import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { ConfigError, readEnv } from '@tagguard/config';

/** TLS material a service serves gRPC with; `clientCa` makes it mutual (every client presents a cert). */
export interface GrpcTls {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
}

/**
 * GRPC_TLS_CERT_FILE + GRPC_TLS_KEY_FILE (PEM; the cert file may hold the chain), and optionally
 * GRPC_TLS_CLIENT_CA_FILE to require client certificates signed by that CA. Unset: plaintext.
 * Read and checked at start, so a wrong path or a key that does not match fails naming the variable.
 */
export function readGrpcTls(env: Record<string, string | undefined>): GrpcTls | undefined {
  const read = readEnv(env);
  const certFile = read.optional('GRPC_TLS_CERT_FILE');
  const keyFile = read.optional('GRPC_TLS_KEY_FILE');
  const caFile = read.optional('GRPC_TLS_CLIENT_CA_FILE');
  if (!certFile && !keyFile) {
    if (caFile)
      throw new ConfigError('GRPC_TLS_CERT_FILE', 'is required when GRPC_TLS_CLIENT_CA_FILE is set (mTLS)');
    return undefined;
  }
  if (!certFile) throw new ConfigError('GRPC_TLS_CERT_FILE', 'is required when GRPC_TLS_KEY_FILE is set');
  if (!keyFile) throw new ConfigError('GRPC_TLS_KEY_FILE', 'is required when GRPC_TLS_CERT_FILE is set');
  const tls: GrpcTls = {
    cert: pemFile('GRPC_TLS_CERT_FILE', certFile),
    key: pemFile('GRPC_TLS_KEY_FILE', keyFile),
    ...(caFile ? { clientCa: pemFile('GRPC_TLS_CLIENT_CA_FILE', caFile) } : {}),
  };
  try {
    createSecureContext({ cert: tls.cert, key: tls.key, ...(tls.clientCa ? { ca: tls.clientCa } : {}) });
  } catch (error) {
    throw new ConfigError(
      'GRPC_TLS_KEY_FILE',
      `does not match GRPC_TLS_CERT_FILE or is not PEM: ${(error as Error).message}`,
    );
  }
  return tls;
}

/** Plaintext without TLS material; with it TLS, and mTLS (client certs checked) when a client CA is set. */
export function grpcServerCredentials(tls: GrpcTls | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    tls.clientCa ?? null,
    [{ cert_chain: tls.cert, private_key: tls.key }],
    tls.clientCa !== undefined,
  );
}

/** What a caller (another service, a test, a tool) dials a TLS service with: the CA, and its own cert for mTLS. */
export function grpcChannelCredentials(options: {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}): ChannelCredentials {
  return credentials.createSsl(options.ca, options.key ?? null, options.cert ?? null);
}

/** For the start log: how the port is served. */
export const grpcTlsMode = (tls: GrpcTls | undefined): 'plaintext' | 'tls' | 'mtls' =>
  !tls ? 'plaintext' : tls.clientCa ? 'mtls' : 'tls';

function pemFile(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(variable, `cannot be read (${file}): ${(error as Error).message}`);
  }
}
