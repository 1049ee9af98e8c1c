import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { TokenVerifier } from '@tagguard/auth';
import {
  DIRECTORY_ACCESS_DENIED_TOPIC_V1,
  DIRECTORY_EVENTS_TOPIC_V1,
  DOWNSTREAM_EVENTS_TOPIC_V1,
} from '@tagguard/contracts';
import { CHANNEL_CATEGORY } from '../downstream/channels/channel-streams';
import { channelIntegrationMessage } from '../downstream/channels/channel-events.translation';
import { CallerSessions, categoryOf, openEventStore, type EventStore } from '@tagguard/event-store';
import {
  ACCESS_DENIAL_CATEGORY,
  COMPONENT_REGISTRY,
  denialRecorderProvider,
  EventStoreDenialRecorder,
  withAccessDenials,
} from '@tagguard/grpc-runtime';
import {
  LeasedRuntime,
  PostgresCheckpointStore,
  PostgresParkedEvents,
  type MessageTransport,
  type SupervisedRelay,
} from '@tagguard/messaging';
import { ComponentRegistry } from '@tagguard/telemetry';
import { DataSource } from 'typeorm';
import type { SyncServiceConfig } from '../config/sync-service.config';
import { LocalTenantAdminPolicy } from './authorization/directory-authorizer';
import { DirectoryCommands } from './commands/directory-commands';
import { DirectoryWriter } from './commands/directory-writer';
import { WriteSnapshots } from './commands/write-snapshots';
import { DirectoryGrpcController } from './directory.grpc.controller';
import { DIRECTORY_EDGE, type EdgeDeps } from './edge';
import { toIntegrationMessage } from './integration/directory-events.translation';
import {
  DIRECTORY_VIEW,
  DirectoryViewProjection,
} from './projections/directory-view/directory-view.projection';
import { openReadModel } from './projections/directory-view/read-model';
import { DirectoryReconciler } from './reconcile/directory-ingest';
import { DIRECTORY_INGEST } from './sources/directory-source.port';
import { DIRECTORY_CATEGORIES } from './streams';
import { serviceLogger } from '../service-logger';

const EVENT_STORE = Symbol('DIRECTORY_EVENT_STORE');
const RUNTIME = Symbol('DIRECTORY_RUNTIME');
/** For the downstream channels (same store, same lease); RUNTIME_OWNERS: their components, started after the directory's. */
export { EVENT_STORE as DIRECTORY_EVENT_STORE, RUNTIME as DIRECTORY_RUNTIME };
export const DIRECTORY_RUNTIME_OWNERS = Symbol('DIRECTORY_RUNTIME_OWNERS');
const RELAY = Symbol('DIRECTORY_RELAY');
export const DIRECTORY_RELAY_NAME = 'sync-service.directory-relay';

type Relay = SupervisedRelay | undefined;

/** One lease per sync-service database schema: instances sharing it have one writer of checkpoints. */
function directoryRuntime(
  config: SyncServiceConfig,
  checkpoints: PostgresCheckpointStore,
  parking: PostgresParkedEvents,
  registry: ComponentRegistry,
): LeasedRuntime {
  const name = `sync-service@${config.databaseSchema}`;
  return new LeasedRuntime({
    name,
    connectionString: config.databaseUrl,
    checkpoints,
    parking,
    registry,
    onLeaseError: (error) => serviceLogger('DirectoryRuntime').warn(`lease ${name}: ${String(error)}`),
  });
}

/** The relay that publishes directory events on the transport, or undefined when the service has none. */
function createRelay(
  config: SyncServiceConfig,
  store: EventStore,
  runtime: LeasedRuntime,
  events?: MessageTransport,
): Promise<Relay> {
  return runtime.relay({
    name: DIRECTORY_RELAY_NAME,
    store,
    // The downstream channels' changes ride on this relay too (their own topic): one relay per store.
    categories: [...DIRECTORY_CATEGORIES, CHANNEL_CATEGORY, ACCESS_DENIAL_CATEGORY],
    translate: withAccessDenials(DIRECTORY_ACCESS_DENIED_TOPIC_V1, (recorded) =>
      categoryOf(recorded.streamId) === CHANNEL_CATEGORY
        ? channelIntegrationMessage(recorded)
        : toIntegrationMessage(recorded),
    ),
    events,
    topics: [DIRECTORY_EVENTS_TOPIC_V1, DOWNSTREAM_EVENTS_TOPIC_V1, DIRECTORY_ACCESS_DENIED_TOPIC_V1],
    batchSize: config.relayBatchSize,
  });
}

class DirectoryLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(RUNTIME) private readonly runtime: LeasedRuntime,
    @Inject(DirectoryViewProjection) private readonly projection: DirectoryViewProjection,
    @Inject(RELAY) private readonly relay: Relay,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(DIRECTORY_RUNTIME_OWNERS) private readonly owners: object[],
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.start([this.projection, ...(this.relay ? [this.relay.relay] : []), ...this.owners]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
    await this.relay?.close();
    await this.store.close();
    await this.db.destroy();
  }
}

/**
 * The enterprise directory: its admin API, the one write path, the mirror (read models), the relay to
 * DIRECTORY_EVENTS_TOPIC_V1, and DIRECTORY_INGEST for sources (global: a connector module injects it).
 */
@Module({})
export class DirectoryModule {
  static forRoot(config: SyncServiceConfig, events?: MessageTransport): DynamicModule {
    return {
      module: DirectoryModule,
      global: true,
      controllers: [DirectoryGrpcController],
      providers: [
        denialRecorderProvider(
          (store: EventStore) => new EventStoreDenialRecorder(store, new TokenVerifier(config.auth.pem)),
          [EVENT_STORE],
        ),
        {
          provide: EVENT_STORE,
          // Every write is remembered for its caller (read-your-writes, D27).
          useFactory: async (sessions: CallerSessions) =>
            sessions.track(
              await openEventStore({
                url: config.eventStoreUrl,
                schema: config.eventStoreSchema,
                listen: config.eventStoreListen,
                poolSize: config.poolSize,
              }),
              DIRECTORY_CATEGORIES,
            ),
          inject: [CallerSessions],
        },
        { provide: CallerSessions, useFactory: () => new CallerSessions() },
        {
          provide: DataSource,
          useFactory: () => openReadModel(config.databaseUrl, config.databaseSchema, config.poolSize),
        },
        {
          provide: DirectoryCommands,
          useFactory: async (store: EventStore, db: DataSource) =>
            new DirectoryCommands(
              new DirectoryWriter(store, await WriteSnapshots.create(db, config.databaseSchema)),
            ),
          inject: [EVENT_STORE, DataSource],
        },
        {
          provide: PostgresCheckpointStore,
          useFactory: (db: DataSource) => PostgresCheckpointStore.create(db, config.databaseSchema),
          inject: [DataSource],
        },
        {
          provide: PostgresParkedEvents,
          useFactory: (db: DataSource) => PostgresParkedEvents.create(db, config.databaseSchema),
          inject: [DataSource],
        },
        {
          provide: RUNTIME,
          useFactory: (
            checkpoints: PostgresCheckpointStore,
            parking: PostgresParkedEvents,
            registry?: ComponentRegistry,
          ) => directoryRuntime(config, checkpoints, parking, registry ?? new ComponentRegistry()),
          inject: [
            PostgresCheckpointStore,
            PostgresParkedEvents,
            { token: COMPONENT_REGISTRY, optional: true },
          ],
        },
        {
          provide: DirectoryViewProjection,
          useFactory: (store: EventStore, db: DataSource, runtime: LeasedRuntime) =>
            runtime.supervise(
              DIRECTORY_VIEW,
              'projection',
              (supervision) => new DirectoryViewProjection(store, db, runtime.fenced, supervision),
              (p) => p.lag(),
            ),
          inject: [EVENT_STORE, DataSource, RUNTIME],
        },
        {
          provide: RELAY,
          useFactory: (store: EventStore, runtime: LeasedRuntime) =>
            createRelay(config, store, runtime, events),
          inject: [EVENT_STORE, RUNTIME],
        },
        {
          provide: DIRECTORY_EDGE,
          useFactory: (projection: DirectoryViewProjection, sessions: CallerSessions) =>
            ({
              verifier: new TokenVerifier(config.auth.pem),
              authorizer: new LocalTenantAdminPolicy(),
              projection,
              sessions,
            }) satisfies EdgeDeps,
          inject: [DirectoryViewProjection, CallerSessions],
        },
        {
          provide: DIRECTORY_INGEST,
          useFactory: (commands: DirectoryCommands, db: DataSource, projection: DirectoryViewProjection) =>
            new DirectoryReconciler(commands, db, projection),
          inject: [DirectoryCommands, DataSource, DirectoryViewProjection],
        },
        { provide: DIRECTORY_RUNTIME_OWNERS, useValue: [] },
        DirectoryLifecycle,
      ],
      exports: [
        DIRECTORY_INGEST,
        DIRECTORY_EDGE,
        EVENT_STORE,
        RUNTIME,
        DIRECTORY_RUNTIME_OWNERS,
        DataSource,
        DirectoryCommands,
        DirectoryViewProjection,
      ],
    };
  }
}
