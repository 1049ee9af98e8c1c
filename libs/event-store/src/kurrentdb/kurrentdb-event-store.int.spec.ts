import { dockerEngineAvailable } from '@tagguard/testing';
import { eventStoreContract } from '../testing/event-store.contract';

// KurrentDB only runs here as a container; without a Docker engine the suite is one skipped test whose
// name says why, never a silent pass.
if (!dockerEngineAvailable()) {
  it.skip('KurrentDbEventStore contract: no Docker engine here to run the KurrentDB container', () =>
    undefined);
} else {
  describe('KurrentDbEventStore on a KurrentDB container', () => {
    let stop: () => Promise<void> = async () => undefined;
    let connectionString = '';

    beforeAll(async () => {
      const { GenericContainer, Wait } = await import('testcontainers');
      const container = await new GenericContainer('kurrentplatform/kurrentdb:25.1')
        .withEnvironment({ KURRENTDB_INSECURE: 'true', KURRENTDB_RUN_PROJECTIONS: 'All' })
        .withExposedPorts(2113)
        .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
        .start();
      connectionString = `kurrentdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`;
      stop = async () => void (await container.stop());
    }, 180_000);
    afterAll(() => stop());

    eventStoreContract(async () => {
      const { KurrentDbEventStore } = await import('./kurrentdb-event-store');
      return new KurrentDbEventStore(connectionString);
    });
  });
}
