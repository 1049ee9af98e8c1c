import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { loadPublicKey, TokenVerifier } from '@tagguard/auth';
import { PostgresEventStore } from '@tagguard/event-store';
import { DataSource } from 'typeorm';
import type { TagServiceConfig } from '../config/tag-service.config';
import { TagCommandHandler } from './commands/tag-command.handler';
import { TagViewProjection } from './projections/tag-view/tag-view.projection';
import { openReadModel } from './read-model';
import { TagsGrpcController } from './tags.grpc.controller';

/** Starts the projection after boot; closes it, the store and the database on shutdown, in that order. */
class TagsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(TagViewProjection) private readonly projection: TagViewProjection,
    @Inject(PostgresEventStore) private readonly store: PostgresEventStore,
    @Inject(DataSource) private readonly db: DataSource,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    return this.projection.start();
  }

  async onApplicationShutdown(): Promise<void> {
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
        {
          provide: TagViewProjection,
          useFactory: (store: PostgresEventStore, db: DataSource) =>
            new TagViewProjection(store, db, config.databaseSchema),
          inject: [PostgresEventStore, DataSource],
        },
        { provide: TokenVerifier, useFactory: () => new TokenVerifier(loadPublicKey().pem) },
        TagsLifecycle,
      ],
    };
  }
}
