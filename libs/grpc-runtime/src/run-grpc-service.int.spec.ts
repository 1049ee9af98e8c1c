import { Logger, Module } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import { checkHealth, freePort, listServicesByReflection, tagguardClient } from '@tagguard/testing';
import { ServiceLogger } from '@tagguard/logging';
import { protoRoot } from './proto-root';
import { runGrpcService, type RunningGrpcService } from './run-grpc-service';

@Module({})
class EmptyModule {}

const logLines: string[] = [];
const logDestination = { write: (line: string) => void logLines.push(line) };

interface ServiceInfoClient extends grpc.Client {
  GetServiceInfo(
    request: object,
    callback: (error: grpc.ServiceError | null, response: Record<string, unknown>) => void,
  ): void;
}

describe('runGrpcService (real gRPC over a loopback socket)', () => {
  let service: RunningGrpcService;
  let address: string;

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
  });

  afterAll(() => service.stop('test end'));

  it('answers grpc.health.v1 Check with SERVING, overall and per service', async () => {
    await expect(checkHealth(address)).resolves.toBe('SERVING');
    await expect(checkHealth(address, 'tagguard.runtime.v1.ServiceInfoService')).resolves.toBe('SERVING');
  });

  it('reports an unknown service name as NOT_FOUND, as the health protocol requires', async () => {
    await expect(checkHealth(address, 'no.such.Service')).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });

  it('lists its services through server reflection', async () => {
    const services = await listServicesByReflection(address);
    expect(services).toEqual(
      expect.arrayContaining(['grpc.health.v1.Health', 'tagguard.runtime.v1.ServiceInfoService']),
    );
  });

  it('says which service, version and runtime answers', async () => {
    const client = tagguardClient<ServiceInfoClient>(
      address,
      'tagguard/runtime/v1/service_info.proto',
      protoRoot(),
      ['tagguard', 'runtime', 'v1', 'ServiceInfoService'],
    );
    const info = await new Promise<Record<string, unknown>>((resolve, reject) =>
      client.GetServiceInfo({}, (error, response) => (error ? reject(error) : resolve(response))),
    );
    client.close();
    expect(info).toMatchObject({
      name: 'probe-service',
      version: '9.9.9',
      runtime: process.version,
      pid: process.pid,
    });
    expect(Date.parse(info['startedAt'] as string)).toBeLessThanOrEqual(Date.now());
  });

  it('logged its start as JSON with the gRPC address', () => {
    const started = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['event'] === 'service.started');
    expect(started).toMatchObject({
      service: 'probe-service',
      grpc: address,
      version: '9.9.9',
      level: 'info',
    });
  });
});

describe('runGrpcService stop', () => {
  it('stops serving: health is NOT_SERVING while stopping and the port refuses calls after', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const service = await runGrpcService({
      name: 'stop-probe',
      version: '1',
      module: EmptyModule,
      host: '127.0.0.1',
      port,
      logDestination,
    });
    const statuses: string[] = [];
    const originalSet = service.health.setStatus.bind(service.health);
    service.health.setStatus = (name, status) => {
      if (name === '') statuses.push(status);
      originalSet(name, status);
    };

    await service.stop('test');

    expect(statuses).toEqual(['NOT_SERVING']);
    await expect(checkHealth(address)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });
});

describe('runGrpcService beside another service in one process (the embedded mode)', () => {
  it("writes a service's ServiceLogger lines with its own name, though Nest's logger is the last one started", async () => {
    const lines = (into: string[]) => into.map((l) => JSON.parse(l) as Record<string, unknown>);
    const first: string[] = [];
    const second: string[] = [];
    const start = async (name: string, into: string[]) =>
      runGrpcService({
        name,
        version: '1',
        module: EmptyModule,
        host: '127.0.0.1',
        port: await freePort(),
        logDestination: { write: (line: string) => void into.push(line) },
      });
    const a = await start('first-service', first);
    const b = await start('second-service', second);
    try {
      new ServiceLogger('first-service', 'Governance').warn({ event: 'governance.critical_operation' });
      new Logger('Governance').warn({ event: 'through.nest' });
      expect(lines(first).filter((l) => l['context'] === 'Governance')).toEqual([
        expect.objectContaining({ service: 'first-service', event: 'governance.critical_operation' }),
      ]);
      // What a service's lines said before ServiceLogger: the process-wide Nest logger, the last app's.
      expect(lines(second).filter((l) => l['context'] === 'Governance')).toEqual([
        expect.objectContaining({ service: 'second-service', event: 'through.nest' }),
      ]);
    } finally {
      await b.stop('test end');
      await a.stop('test end');
    }
    const before = first.length;
    new ServiceLogger('first-service', 'Governance').warn('after the stop');
    expect(first).toHaveLength(before);
  });

  it("does not take a running instance's lines when a second one of its name fails to start", async () => {
    const running: string[] = [];
    const failed: string[] = [];
    const port = await freePort();
    const start = (into: string[]) =>
      runGrpcService({
        name: 'twice-service',
        version: '1',
        module: EmptyModule,
        host: '127.0.0.1',
        port,
        logDestination: { write: (line: string) => void into.push(line) },
      });
    const a = await start(running);
    try {
      await expect(start(failed)).rejects.toThrow(); // the port is a's
      new ServiceLogger('twice-service', 'Probe').warn('still the running one');
      const probe = (into: string[]) =>
        into.filter((l) => (JSON.parse(l) as Record<string, unknown>)['context'] === 'Probe');
      expect(probe(running)).toHaveLength(1);
      expect(probe(failed)).toEqual([]);
    } finally {
      await a.stop('test end');
    }
  });
});
