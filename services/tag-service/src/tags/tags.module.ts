import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { loadPublicKey, TokenVerifier } from '@tagguard/auth';
import { PostgresEventStore } from '@tagguard/event-store';
import { TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import { ensureTopics, EventRelay, KafkaPublisher, PostgresCheckpointStore } from '@tagguard/messaging';
import { Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import type { TagServiceConfig } from '../config/tag-service.config';
import { TagCommandHandler } from './commands/tag-command.handler';
import { toIntegrationMessage } from './integration/tag-events.translation';
import { TagViewProjection } from './projections/tag-view/tag-view.projection';
import { TAG_CATEGORY } from './tag-stream';
import { openReadModel } from './read-model';
import { TagsGrpcController } from './tags.grpc.controller';

const TAG_RELAY = Symbol('TAG_RELAY');

/** The relay that publishes tag events to Kafka, or undefined when no brokers are configured. */
async function createRelay(
  config: TagServiceConfig,
  store: PostgresEventStore,
  checkpoints: PostgresCheckpointStore,
): Promise<{ relay: EventRelay; close(): Promise<void> } | undefined> {
  if (config.kafkaBrokers.length === 0) return undefined;
  const kafka = new Kafka({
    clientId: 'tag-service',
    brokers: config.kafkaBrokers,
    logLevel: logLevel.ERROR,
  });
  await ensureTopics(kafka, [TAG_EVENTS_TOPIC_V1]);
  const publisher = await KafkaPublisher.connect(kafka);
  const relay = new EventRelay({
    name: 'tag-service.relay',
    store,
    filter: { categories: [TAG_CATEGORY] },
    translate: toIntegrationMessage,
    publisher,
    checkpoints,
    batchSize: config.relayBatchSize,
  });
  return {
    relay,
    async close() {
      await relay.stop();
      await publisher.close();
    },
  };
}

/** Starts the projection and relay after boot; stops them, then closes the store and the database. */
class TagsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(TagViewProjection) private readonly projection: TagViewProjection,
    @Inject(PostgresEventStore) private readonly store: PostgresEventStore,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(TAG_RELAY) private readonly relay: Awaited<ReturnType<typeof createRelay>>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.projection.start();
    await this.relay?.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.close();
    await this.projection.stop();
    await this.store.close();
    await this.db.destroy();
  }
}

@Module({})
export class TagsModule {
  static forRoot(config: TagServiceConfig): DynamicModule {
    return {
      module: TagsModule,
      controllers: [TagsGrpcController],
      providers: [
        {
          provide: PostgresEventStore,
          useFactory: () =>
            PostgresEventStore.connect({
              connectionString: config.eventStoreUrl,
              schema: config.eventStoreSchema,
              listen: config.eventStoreListen,
              poolSize: config.poolSize,
            }),
        },
        { provide: DataSource, useFactory: () => openReadModel(config.databaseUrl, config.databaseSchema) },
        {
          provide: TagCommandHandler,
          useFactory: (store: PostgresEventStore) => new TagCommandHandler(store),
          inject: [PostgresEventStore],
        },
        // One checkpoints table for the projection and the relay, in tag-service's own schema.
        {
          provide: PostgresCheckpointStore,
          useFactory: (db: DataSource) => PostgresCheckpointStore.create(db, config.databaseSchema),
          inject: [DataSource],
        },
        {
          provide: TagViewProjection,
          useFactory: (store: PostgresEventStore, db: DataSource, checkpoints: PostgresCheckpointStore) =>
            new TagViewProjection(store, db, checkpoints),
          inject: [PostgresEventStore, DataSource, PostgresCheckpointStore],
        },
        { provide: TokenVerifier, useFactory: () => new TokenVerifier(loadPublicKey().pem) },
        {
          provide: TAG_RELAY,
          useFactory: (store: PostgresEventStore, checkpoints: PostgresCheckpointStore) =>
            createRelay(config, store, checkpoints),
          inject: [PostgresEventStore, PostgresCheckpointStore],
        },
        TagsLifecycle,
      ],
    };
  }
}
