import { Module } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { checkHealth, freePort, tagguardClient } from '@tagguard/testing';
import { protoRoot } from './proto-root';
import { runGrpcService, type RunningGrpcService } from './run-grpc-service';

@Module({})
class EmptyModule {}

const logLines: Record<string, unknown>[] = [];
const logDestination = { write: (line: string) => void logLines.push(JSON.parse(line)) };

function metadataWith(roles: string[]): grpc.Metadata {
  const metadata = new grpc.Metadata();
  const token = signToken({ tenantId: 'ops', actorId: 'sre-1', roles }, loadDevPrivateKey());
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

interface ComponentsClient extends grpc.Client {
  ListComponents(
    request: object,
    metadata: grpc.Metadata,
    callback: (error: grpc.ServiceError | null, response: { components: Record<string, unknown>[] }) => void,
  ): void;
}

describe('component health and ListComponents (real gRPC over a loopback socket)', () => {
  let service: RunningGrpcService;
  let address: string;
  let client: ComponentsClient;
  const list = (metadata: grpc.Metadata, request: object = {}) =>
    new Promise<{ components: Record<string, unknown>[] }>((resolve, reject) =>
      client.ListComponents(request, metadata, (e, r) => (e ? reject(e) : resolve(r))),
    );

  beforeAll(async () => {
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    service = await runGrpcService({
      name: 'probe-service',
      version: '9.9.9',
      module: EmptyModule,
      host: '127.0.0.1',
      port,
      logDestination,
    });
    client = tagguardClient<ComponentsClient>(address, 'tagguard/runtime/v1/components.proto', protoRoot(), [
      'tagguard',
      'runtime',
      'v1',
      'ComponentsService',
    ]);
  });

  afterAll(async () => {
    client.close();
    await service.stop('test end');
  });

  it('gives each component a health entry; one that is down takes the overall status down with it', async () => {
    const probe = service.components.register({
      name: 'probe-service.projection',
      kind: 'projection',
      lag: async () => ({ events: 7, seconds: 1.5 }),
    });
    probe.set('running');
    await expect(checkHealth(address, 'probe-service.projection')).resolves.toBe('SERVING');
    await expect(checkHealth(address)).resolves.toBe('SERVING');

    probe.retrying(new Error('database unreachable'), 1, 100);
    await expect(checkHealth(address, 'probe-service.projection')).resolves.toBe('NOT_SERVING');
    await expect(checkHealth(address)).resolves.toBe('NOT_SERVING');
    expect(logLines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        event: 'component.retry',
        component: 'probe-service.projection',
      }),
    );

    probe.set('running');
    await expect(checkHealth(address)).resolves.toBe('SERVING');
    probe.set('failed', new Error('gave up'));
    await expect(checkHealth(address)).resolves.toBe('NOT_SERVING');
    expect(logLines).toContainEqual(
      expect.objectContaining({ level: 'error', event: 'component.failed', err: 'gave up' }),
    );

    const { components } = await list(metadataWith(['platform_operator']));
    expect(components).toContainEqual(
      expect.objectContaining({
        name: 'probe-service.projection',
        kind: 'projection',
        state: 'failed',
        role: 'single',
        lastError: 'gave up',
        retries: '1',
        lagKnown: true,
        lagEvents: '7',
        lagSeconds: 1.5,
      }),
    );
    probe.set('running');
    await expect(checkHealth(address)).resolves.toBe('SERVING');
  });

  it('answers ListComponents only to a platform operator, and refuses a bad parked_limit naming it', async () => {
    await expect(list(new grpc.Metadata())).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    await expect(list(metadataWith(['tenant_admin']))).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
    await expect(list(metadataWith(['platform_operator']), { parkedLimit: 1000 })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('parked_limit'),
    });
  });
});
