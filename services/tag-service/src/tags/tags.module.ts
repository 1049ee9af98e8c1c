import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { loadPublicKey, TokenVerifier } from '@tagguard/auth';
import { openEventStore, type EventStore } from '@tagguard/event-store';
import { TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import { EventRelay, PostgresCheckpointStore, type MessageTransport } from '@tagguard/messaging';
import { DataSource } from 'typeorm';
import type { TagServiceConfig } from '../config/tag-service.config';
import { TagCommandHandler } from './commands/tag-command.handler';
import { toIntegrationMessage } from './integration/tag-events.translation';
import { TagViewProjection } from './projections/tag-view/tag-view.projection';
import { TAG_CATEGORY } from './tag-stream';
import { openReadModel } from './read-model';
import { TagsGrpcController } from './tags.grpc.controller';

const TAG_RELAY = Symbol('TAG_RELAY');
const EVENT_STORE = Symbol('EVENT_STORE');

/** The relay that publishes tag events on the transport, or undefined when the service has none. */
async function createRelay(
  config: TagServiceConfig,
  store: EventStore,
  checkpoints: PostgresCheckpointStore,
  events: MessageTransport | undefined,
): Promise<{ relay: EventRelay; close(): Promise<void> } | undefined> {
  if (!events) return undefined;
  await events.ensureTopics([TAG_EVENTS_TOPIC_V1]);
  const publisher = await events.publisher();
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
    @Inject(EVENT_STORE) private readonly store: EventStore,
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
  static forRoot(config: TagServiceConfig, events?: MessageTransport): DynamicModule {
    return {
      module: TagsModule,
      controllers: [TagsGrpcController],
      providers: [
        {
          provide: EVENT_STORE,
          useFactory: () =>
            openEventStore({
              url: config.eventStoreUrl,
              schema: config.eventStoreSchema,
              listen: config.eventStoreListen,
              poolSize: config.poolSize,
            }),
        },
        { provide: DataSource, useFactory: () => openReadModel(config.databaseUrl, config.databaseSchema) },
        {
          provide: TagCommandHandler,
          useFactory: (store: EventStore) => new TagCommandHandler(store),
          inject: [EVENT_STORE],
        },
        // One checkpoints table for the projection and the relay, in tag-service's own schema.
        {
          provide: PostgresCheckpointStore,
          useFactory: (db: DataSource) => PostgresCheckpointStore.create(db, config.databaseSchema),
          inject: [DataSource],
        },
        {
          provide: TagViewProjection,
          useFactory: (store: EventStore, db: DataSource, checkpoints: PostgresCheckpointStore) =>
            new TagViewProjection(store, db, checkpoints),
          inject: [EVENT_STORE, DataSource, PostgresCheckpointStore],
        },
        { provide: TokenVerifier, useFactory: () => new TokenVerifier(loadPublicKey().pem) },
        {
          provide: TAG_RELAY,
          useFactory: (store: EventStore, checkpoints: PostgresCheckpointStore) =>
            createRelay(config, store, checkpoints, events),
          inject: [EVENT_STORE, PostgresCheckpointStore],
        },
        TagsLifecycle,
      ],
    };
  }
}
