import { startPgliteServer, type PgliteServer } from '@tagguard/pglite-server';
import { eventStoreContract } from '../testing/event-store.contract';
import { PostgresEventStore } from './postgres-event-store';

// The embedded mode's database: PGlite behind its socket server, reached through the same pg driver.
describe('PostgresEventStore on embedded PGlite', () => {
  let server: PgliteServer;
  beforeAll(async () => {
    server = await startPgliteServer();
  });
  afterAll(() => server.stop());

  eventStoreContract(() =>
    PostgresEventStore.connect({
      connectionString: server.url,
      poolSize: 4,
      listen: false,
      pollIntervalMs: 20,
    }),
  );
});
