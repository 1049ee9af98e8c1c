import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { loadPublicKey, TokenVerifier } from '@tagguard/auth';
import { TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import { openEventStore, type EventStore } from '@tagguard/event-store';
import { EventRelay, PostgresCheckpointStore, type MessageTransport } from '@tagguard/messaging';
import { DataSource } from 'typeorm';
import type { TagServiceConfig } from '../config/tag-service.config';
import { LocalTenantAdminPolicy } from './authorization/local-tenant-admin.policy';
import { TAG_AUTHORIZER, type TagAuthorizer } from './authorization/tag-authorizer.port';
import { TAG_EDGE, type EdgeDeps } from './edge';
import { AutomationsGrpcController } from './automations/automations.grpc.controller';
import { FollowUpProcess } from './automations/follow-up.process';
import { TagCommands } from './commands/tag-commands';
import { GovernanceGrpcController } from './governance/governance.grpc.controller';
import { RevertProcess } from './governance/revert.process';
import { toIntegrationMessage } from './integration/tag-events.translation';
import { MembersGrpcController } from './members/members.grpc.controller';
import { CallerSessions } from './projections/catalog-view/caller-sessions';
import { CatalogViewProjection } from './projections/catalog-view/catalog-view.projection';
import { openReadModel } from './read-model';
import { PurgeTimer } from './recycle-bin/purge-timer';
import { RecycleBinGrpcController } from './recycle-bin/recycle-bin.grpc.controller';
import { TAG_SERVICE_CATEGORIES } from './streams';
import { ReadModelRebuilder } from './rebuild/read-model-rebuilder';
import { TagsGrpcController } from './tags.grpc.controller';
import { SnapshotStore } from './time-machine/snapshot-store';
import { SnapshotProcess } from './time-machine/snapshot.process';
import { TimeMachine } from './time-machine/time-machine';
import { TimeMachineGrpcController } from './time-machine/time-machine.grpc.controller';
import { TimeMachineReader } from './time-machine/time-machine.reader';

const EVENT_STORE = Symbol('EVENT_STORE');
const TAG_RELAY = Symbol('TAG_RELAY');

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
    filter: { categories: TAG_SERVICE_CATEGORIES },
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

/** Starts projection, processes, timer and relay after boot; stops them, then closes store and database. */
class TagsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(CatalogViewProjection) private readonly projection: CatalogViewProjection,
    @Inject(FollowUpProcess) private readonly followUps: FollowUpProcess,
    @Inject(RevertProcess) private readonly reverts: RevertProcess,
    @Inject(PurgeTimer) private readonly purge: PurgeTimer,
    @Inject(SnapshotProcess) private readonly snapshots: SnapshotProcess,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(TAG_RELAY) private readonly relay: Awaited<ReturnType<typeof createRelay>>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.projection.start();
    await this.followUps.start();
    await this.reverts.start();
    await this.snapshots.start();
    this.purge.start();
    await this.relay?.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.close();
    await this.purge.stop();
    await this.snapshots.stop();
    await this.reverts.stop();
    await this.followUps.stop();
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
      controllers: [
        TagsGrpcController,
        MembersGrpcController,
        RecycleBinGrpcController,
        GovernanceGrpcController,
        AutomationsGrpcController,
        TimeMachineGrpcController,
      ],
      providers: [
        {
          provide: EVENT_STORE,
          // Every write is remembered for its caller (read-your-writes).
          useFactory: async (sessions: CallerSessions) =>
            sessions.track(
              await openEventStore({
                url: config.eventStoreUrl,
                schema: config.eventStoreSchema,
                listen: config.eventStoreListen,
                poolSize: config.poolSize,
              }),
            ),
          inject: [CallerSessions],
        },
        { provide: CallerSessions, useFactory: () => new CallerSessions() },
        {
          provide: DataSource,
          useFactory: () => openReadModel(config.databaseUrl, config.databaseSchema, config.poolSize),
        },
        {
          provide: TagCommands,
          useFactory: (store: EventStore) => new TagCommands(store),
          inject: [EVENT_STORE],
        },
        // One checkpoints table for the projection, the processes and the relay, in tag-service's schema.
        {
          provide: PostgresCheckpointStore,
          useFactory: (db: DataSource) => PostgresCheckpointStore.create(db, config.databaseSchema),
          inject: [DataSource],
        },
        {
          provide: CatalogViewProjection,
          useFactory: (store: EventStore, db: DataSource, checkpoints: PostgresCheckpointStore) =>
            new CatalogViewProjection(store, db, checkpoints),
          inject: [EVENT_STORE, DataSource, PostgresCheckpointStore],
        },
        {
          provide: FollowUpProcess,
          useFactory: (store: EventStore, commands: TagCommands, checkpoints: PostgresCheckpointStore) =>
            new FollowUpProcess(store, commands, checkpoints),
          inject: [EVENT_STORE, TagCommands, PostgresCheckpointStore],
        },
        {
          provide: RevertProcess,
          useFactory: (
            store: EventStore,
            commands: TagCommands,
            checkpoints: PostgresCheckpointStore,
            db: DataSource,
          ) => new RevertProcess(store, commands, checkpoints, db, config.databaseSchema),
          inject: [EVENT_STORE, TagCommands, PostgresCheckpointStore, DataSource],
        },
        {
          provide: PurgeTimer,
          useFactory: (commands: TagCommands, db: DataSource) =>
            new PurgeTimer(commands, db, config.purgeIntervalMs),
          inject: [TagCommands, DataSource],
        },
        {
          provide: SnapshotStore,
          useFactory: (db: DataSource) => SnapshotStore.create(db, config.databaseSchema),
          inject: [DataSource],
        },
        {
          provide: TimeMachineReader,
          useFactory: (store: EventStore, snapshots: SnapshotStore) =>
            new TimeMachineReader(store, snapshots),
          inject: [EVENT_STORE, SnapshotStore],
        },
        {
          provide: TimeMachine,
          useFactory: (reader: TimeMachineReader, commands: TagCommands) => new TimeMachine(reader, commands),
          inject: [TimeMachineReader, TagCommands],
        },
        {
          provide: SnapshotProcess,
          useFactory: (
            store: EventStore,
            reader: TimeMachineReader,
            snapshots: SnapshotStore,
            checkpoints: PostgresCheckpointStore,
          ) => new SnapshotProcess(store, reader, snapshots, checkpoints, config.snapshotEvery),
          inject: [EVENT_STORE, TimeMachineReader, SnapshotStore, PostgresCheckpointStore],
        },
        {
          provide: ReadModelRebuilder,
          useFactory: (
            store: EventStore,
            db: DataSource,
            projection: CatalogViewProjection,
            checkpoints: PostgresCheckpointStore,
          ) => new ReadModelRebuilder(store, db, config.databaseSchema, projection, checkpoints),
          inject: [EVENT_STORE, DataSource, CatalogViewProjection, PostgresCheckpointStore],
        },
        { provide: TokenVerifier, useFactory: () => new TokenVerifier(loadPublicKey().pem) },
        { provide: TAG_AUTHORIZER, useFactory: () => new LocalTenantAdminPolicy() },
        {
          provide: TAG_EDGE,
          useFactory: (
            verifier: TokenVerifier,
            authorizer: TagAuthorizer,
            projection: CatalogViewProjection,
            sessions: CallerSessions,
          ) => ({ verifier, authorizer, projection, sessions }) satisfies EdgeDeps,
          inject: [TokenVerifier, TAG_AUTHORIZER, CatalogViewProjection, CallerSessions],
        },
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
