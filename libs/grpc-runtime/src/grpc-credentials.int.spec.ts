import { Module } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import { checkHealth, freePort, generateComposeSecrets, type ComposeSecrets } from '@tagguard/testing';
import { grpcChannelCredentials, readGrpcTls } from './grpc-credentials';
import { runGrpcService, type RunningGrpcService } from './run-grpc-service';

@Module({})
class EmptyModule {}

// A real gRPC server on a loopback socket, given the certificates deploy/compose/setup.sh generates.
async function serve(secrets: ComposeSecrets, mtls: boolean) {
  const port = await freePort();
  const lines: string[] = [];
  const tls = readGrpcTls({
    GRPC_TLS_CERT_FILE: `${secrets.services}/tag-service.pem`,
    GRPC_TLS_KEY_FILE: `${secrets.services}/tag-service.key`,
    ...(mtls ? { GRPC_TLS_CLIENT_CA_FILE: `${secrets.services}/ca.pem` } : {}),
  });
  const service = await runGrpcService({
    name: 'tls-probe',
    version: '0.0.0',
    module: EmptyModule,
    host: '127.0.0.1',
    port,
    tls,
    logDestination: { write: (line: string) => void lines.push(line) },
  });
  // The certificate names localhost and 127.0.0.1, as compose's do beside the service name.
  return { service, address: `localhost:${port}`, lines };
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'answered',
    (error: grpc.ServiceError) => error.code,
  );

describe('gRPC over TLS (GRPC_TLS_CERT_FILE / GRPC_TLS_KEY_FILE)', () => {
  const secrets = generateComposeSecrets();
  let server: { service: RunningGrpcService; address: string; lines: string[] };
  beforeAll(async () => {
    server = await serve(secrets, false);
  });
  afterAll(() => server?.service.stop('test end'));

  it('answers a TLS client that trusts the CA, and logs that it serves TLS', async () => {
    const channel = grpcChannelCredentials({ ca: secrets.read('services/ca.pem') });
    await expect(checkHealth(server.address, '', channel)).resolves.toBe('SERVING');
    expect(server.lines.map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ event: 'service.started', tls: 'tls' }),
    );
  });

  it('refuses a plaintext client', async () => {
    expect(await failureOf(checkHealth(server.address))).toBe(grpc.status.UNAVAILABLE);
  });

  it('is not trusted by a client with another CA', async () => {
    const other = generateComposeSecrets();
    const channel = grpcChannelCredentials({ ca: other.read('services/ca.pem') });
    expect(await failureOf(checkHealth(server.address, '', channel))).toBe(grpc.status.UNAVAILABLE);
  });
});

describe('mutual TLS (GRPC_TLS_CLIENT_CA_FILE)', () => {
  const secrets = generateComposeSecrets({ mtls: true });
  let server: { service: RunningGrpcService; address: string; lines: string[] };
  beforeAll(async () => {
    server = await serve(secrets, true);
  });
  afterAll(() => server?.service.stop('test end'));

  it('refuses a TLS client without a certificate', async () => {
    const channel = grpcChannelCredentials({ ca: secrets.read('services/ca.pem') });
    expect(await failureOf(checkHealth(server.address, '', channel))).toBe(grpc.status.UNAVAILABLE);
  });

  it('refuses a client whose certificate another CA signed', async () => {
    const other = generateComposeSecrets();
    const channel = grpcChannelCredentials({
      ca: secrets.read('services/ca.pem'),
      cert: other.read('client.pem'),
      key: other.read('client.key'),
    });
    expect(await failureOf(checkHealth(server.address, '', channel))).toBe(grpc.status.UNAVAILABLE);
  });

  it('answers the operator client and another service, both with certificates from the CA', async () => {
    for (const [cert, key] of [
      ['client.pem', 'client.key'],
      ['services/audit-service.pem', 'services/audit-service.key'],
    ] as const) {
      const channel = grpcChannelCredentials({
        ca: secrets.read('services/ca.pem'),
        cert: secrets.read(cert),
        key: secrets.read(key),
      });
      await expect(checkHealth(server.address, '', channel)).resolves.toBe('SERVING');
    }
    expect(server.lines.map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ event: 'service.started', tls: 'mtls' }),
    );
  });
});
