import {
  checkHealth,
  freePort,
  listServicesByReflection,
  startServiceProcess,
  testInfra,
  type ServiceProcess,
} from '@tagguard/testing';

// Every service, run as its own OS process the way an operator runs it: gRPC health and reflection on a
// real socket, JSON logs on stdout, and exit code 0 after SIGTERM.
const services = ['tag-service', 'permission-service', 'mute-service', 'audit-service', 'sync-service'];

describe.each(services)('%s as a process', (service) => {
  let proc: ServiceProcess;
  let address: string;

  beforeAll(async () => {
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    const schema = `boot_${service.replace(/-/g, '_')}_${port}`;
    proc = await startServiceProcess(service, {
      GRPC_PORT: String(port),
      GRPC_HOST: '127.0.0.1',
      DATABASE_URL: testInfra().postgresUrl,
      DATABASE_SCHEMA: schema,
      EVENTSTORE_SCHEMA: `${schema}_es`,
    });
  });

  afterAll(() => proc.stop('SIGKILL'));

  it('serves grpc.health.v1 with SERVING', async () => {
    await expect(checkHealth(address)).resolves.toBe('SERVING');
  });

  it('serves reflection listing health and its runtime service', async () => {
    await expect(listServicesByReflection(address)).resolves.toEqual(
      expect.arrayContaining(['grpc.health.v1.Health', 'tagguard.runtime.v1.ServiceInfoService']),
    );
  });

  it('logs only JSON lines carrying its name, a level and an ISO time', () => {
    expect(proc.lines.length).toBeGreaterThan(0);
    for (const line of proc.lines) {
      expect(line).not.toHaveProperty('unparsed');
      expect(line).toMatchObject({ service: service, level: expect.any(String), msg: expect.any(String) });
      expect(new Date(line['time'] as string).toISOString()).toBe(line['time']);
    }
  });

  it('stops cleanly on SIGTERM: logs service.stopped and exits 0', async () => {
    const exit = await proc.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    // Only the lifecycle events: a service may log others (e.g. events.off without Kafka) in between.
    expect(proc.lines.map((l) => l['event']).filter((e) => String(e).startsWith('service.'))).toEqual([
      'service.started',
      'service.stopping',
      'service.stopped',
    ]);
  });
});

describe('configuration errors', () => {
  it('a bad GRPC_PORT stops the service at start, naming the variable', async () => {
    await expect(startServiceProcess('tag-service', { GRPC_PORT: 'abc' }, 20_000)).rejects.toThrow(
      /GRPC_PORT: must be an integer, got \\"abc\\"/,
    );
  });

  it('tag-service without DATABASE_URL stops at start, naming the variable', async () => {
    await expect(
      startServiceProcess('tag-service', { GRPC_PORT: String(await freePort()), DATABASE_URL: '' }, 20_000),
    ).rejects.toThrow(/DATABASE_URL: is required/);
  });
});
