import { readEventSourcedConfig, readServingConfig } from './service-config';

describe('the configuration every service reads alike', () => {
  const env = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db' };
  const defaults = { eventStoreSchema: 'x_eventstore', databaseSchema: 'x_service', relayBatchSize: 200 };

  it('given nothing but the database, then loopback on the default port, the event store in the database, no Kafka', () => {
    expect(readServingConfig(env, 50059)).toMatchObject({ grpcHost: '127.0.0.1', grpcPort: 50059 });
    expect(readEventSourcedConfig(env, defaults)).toEqual({
      eventStoreUrl: env.DATABASE_URL,
      eventStoreSchema: 'x_eventstore',
      eventStoreListen: true,
      databaseUrl: env.DATABASE_URL,
      databaseSchema: 'x_service',
      poolSize: 10,
      kafkaBrokers: [],
      relayBatchSize: 200,
    });
  });

  it('given the variables set, then they win over the defaults', () => {
    const set = {
      ...env,
      GRPC_PORT: '6000',
      EVENTSTORE_URL: 'kurrentdb://127.0.0.1:2113',
      EVENTSTORE_LISTEN: 'false',
      KAFKA_BROKERS: 'a:9092,b:9092',
      RELAY_BATCH_SIZE: '5000',
    };
    expect(readServingConfig(set, 50059).grpcPort).toBe(6000);
    expect(readEventSourcedConfig(set, defaults)).toMatchObject({
      eventStoreUrl: 'kurrentdb://127.0.0.1:2113',
      eventStoreListen: false,
      kafkaBrokers: ['a:9092', 'b:9092'],
      relayBatchSize: 5000,
    });
  });

  it('given a missing or bad variable, then it fails naming it', () => {
    expect(() => readEventSourcedConfig({}, defaults)).toThrow(/DATABASE_URL/);
    expect(() => readEventSourcedConfig({ ...env, DATABASE_POOL_SIZE: '0' }, defaults)).toThrow(
      /DATABASE_POOL_SIZE/,
    );
    expect(() => readServingConfig({ GRPC_PORT: 'http' }, 50059)).toThrow(/GRPC_PORT/);
  });
});
