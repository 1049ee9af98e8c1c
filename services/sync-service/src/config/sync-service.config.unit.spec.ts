import { loadSyncServiceConfig } from './sync-service.config';

describe('sync-service config', () => {
  const env = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db' };

  it('defaults the event store to the database, in its own schemas', () => {
    expect(loadSyncServiceConfig(env)).toMatchObject({
      grpcPort: 50055,
      eventStoreUrl: env.DATABASE_URL,
      eventStoreSchema: 'sync_eventstore',
      databaseSchema: 'sync_service',
      kafkaBrokers: [],
    });
  });

  it('fails fast naming the variable', () => {
    expect(() => loadSyncServiceConfig({})).toThrow(/DATABASE_URL/);
    expect(() => loadSyncServiceConfig({ ...env, RELAY_BATCH_SIZE: '0' })).toThrow(/RELAY_BATCH_SIZE/);
    expect(() => loadSyncServiceConfig({ ...env, EVENTSTORE_LISTEN: 'maybe' })).toThrow(/EVENTSTORE_LISTEN/);
  });
});
