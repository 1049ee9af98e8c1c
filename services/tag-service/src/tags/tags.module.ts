import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { TokenVerifier } from '@tagguard/auth';
import {
  DIRECTORY_EVENTS_TOPIC_V1,
  PERMISSION_EVENTS_TOPIC_V1,
  TAG_ACCESS_DENIED_TOPIC_V1,
  TAG_EVENTS_TOPIC_V1,
} from '@tagguard/contracts';
import { CallerSessions, openEventStore, type EventStore } from '@tagguard/event-store';
import {
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
import type { TagServiceConfig } from '../config/tag-service.config';
import { EngineTagAuthorizer } from './authorization/engine.authorizer';
import { TAG_AUTHORIZER, type TagAuthorizer } from './authorization/tag-authorizer.port';
import { TAG_EDGE, type EdgeDeps } from './edge';
import { AutomationsGrpcController } from './automations/automations.grpc.controller';
import { FollowUpProcess } from './automations/follow-up.process';
import { TagCommands } from './commands/tag-commands';
import { DepartedMembers } from './directory-copy/departed-members';
import { DirectoryCopy } from './directory-copy/directory-copy';
import { DirectoryEventsKafkaController } from './directory-copy/directory-events.kafka.controller';
import { DirectoryPolicies } from './directory-copy/directory-policy';
import { GovernanceGrpcController } from './governance/governance.grpc.controller';
import { RevertProcess } from './governance/revert.process';
import { toIntegrationMessage } from './integration/tag-events.translation';
import { MembersGrpcController } from './members/members.grpc.controller';
import { PolicyCopy } from './policy-copy/policy-copy';
import { PolicyEventsKafkaController } from './policy-copy/policy-events.kafka.controller';
import { CATALOG_VIEW, CatalogViewProjection } from './projections/catalog-view/catalog-view.projection';
import { openReadModel } from './read-model';
import { PurgeTimer } from './recycle-bin/purge-timer';
import { RecycleBinGrpcController } from './recycle-bin/recycle-bin.grpc.controller';
import { TAG_RELAYED_CATEGORIES, TAG_SERVICE_CATEGORIES } from './streams';
import { ReadModelRebuilder } from './rebuild/read-model-rebuilder';
import { TagsGrpcController } from './tags.grpc.controller';
import { SnapshotStore } from './time-machine/snapshot-store';
import { SnapshotProcess } from './time-machine/snapshot.process';
import { TimeMachine } from './time-machine/time-machine';
import { TimeMachineGrpcController } from './time-machine/time-machine.grpc.controller';
import { TimeMachineReader } from './time-machine/time-machine.reader';
import { serviceLogger } from '../service-logger';

const EVENT_STORE = Symbol('EVENT_STORE');
const TAG_RELAY = Symbol('TAG_RELAY');
const RUNTIME = Symbol('TAG_RUNTIME');
const POLICY_REFRESH_MS = Symbol('POLICY_REFRESH_MS');

/** One lease per tag-service database schema, so instances sharing a database and broker have one writer. */
function tagsRuntime(
  config: TagServiceConfig,
  checkpoints: PostgresCheckpointStore,
  parking: PostgresParkedEvents,
  registry: ComponentRegistry,
): LeasedRuntime {
  const name = `tag-service@${config.databaseSchema}`;
  return new LeasedRuntime({
    name,
    connectionString: config.databaseUrl,
    checkpoints,
    parking,
    registry,
    onLeaseError: (error) => serviceLogger('TagsRuntime').warn(`lease ${name}: ${String(error)}`),
  });
}

/** The relay that publishes tag events on the transport, or undefined when the service has none. */
function createRelay(
  config: TagServiceConfig,
  store: EventStore,
  runtime: LeasedRuntime,
  events: MessageTransport | undefined,
): Promise<SupervisedRelay | undefined> {
  return runtime.relay({
    name: 'tag-service.relay',
    store,
    categories: TAG_RELAYED_CATEGORIES,
    translate: withAccessDenials(TAG_ACCESS_DENIED_TOPIC_V1, toIntegrationMessage),
    events,
    topics: [TAG_EVENTS_TOPIC_V1, TAG_ACCESS_DENIED_TOPIC_V1],
    batchSize: config.relayBatchSize,
  });
}

/**
 * Puts projection, processes, timer and relay under the lease after boot (this instance leads them,
 * or stands by while another one does); stops them, then closes store and database.
 */
class TagsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(RUNTIME) private readonly runtime: LeasedRuntime,
    @Inject(CatalogViewProjection) private readonly projection: CatalogViewProjection,
    @Inject(FollowUpProcess) private readonly followUps: FollowUpProcess,
    @Inject(RevertProcess) private readonly reverts: RevertProcess,
    @Inject(PurgeTimer) private readonly purge: PurgeTimer,
    @Inject(SnapshotProcess) private readonly snapshots: SnapshotProcess,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(TAG_RELAY) private readonly relay: SupervisedRelay | undefined,
    @Inject(PolicyCopy) private readonly policies: PolicyCopy,
    @Inject(POLICY_REFRESH_MS) private readonly policyRefreshMs: number,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Every instance refreshes its in-memory policy (readers are on every instance, not only the leader).
    this.policies.start(this.policyRefreshMs);
    await this.runtime.start([
      this.projection,
      this.followUps,
      this.reverts,
      this.snapshots,
      this.purge,
      ...(this.relay ? [this.relay.relay] : []),
    ]);
  }

  async onApplicationShutdown(): Promise<void> {
    this.policies.stop();
    await this.runtime.stop();
    await this.relay?.close();
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
        DirectoryEventsKafkaController,
        PolicyEventsKafkaController,
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
              TAG_SERVICE_CATEGORIES,
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
          useFactory: (store: EventStore, snapshots: SnapshotStore, directory: DirectoryCopy) => {
            const commands = new TagCommands(store, undefined, snapshots, (e) =>
              serviceLogger('TagCommands').warn(`write-side snapshot not saved: ${String(e)}`),
            );
            commands.checkMembersWith((tenantId, members) => directory.facts(tenantId, members));
            return commands;
          },
          inject: [EVENT_STORE, SnapshotStore, DirectoryCopy],
        },
        {
          provide: DirectoryCopy,
          useFactory: async (db: DataSource) => {
            // Consumed before sync-service may have published anything: the topic must exist.
            await events?.ensureTopics([DIRECTORY_EVENTS_TOPIC_V1]);
            return new DirectoryCopy(db, config.databaseSchema);
          },
          inject: [DataSource],
        },
        {
          provide: PolicyCopy,
          useFactory: async (db: DataSource) => {
            // Consumed before permission-service may have published anything: the topic must exist.
            await events?.ensureTopics([PERMISSION_EVENTS_TOPIC_V1]);
            return new PolicyCopy(db, config.databaseSchema, (e) =>
              serviceLogger('PolicyCopy').warn(`policy refresh failed (retried): ${String(e)}`),
            );
          },
          inject: [DataSource],
        },
        { provide: POLICY_REFRESH_MS, useValue: config.policyRefreshMs },
        {
          provide: DirectoryPolicies,
          useFactory: (commands: TagCommands) => new DirectoryPolicies(commands),
          inject: [TagCommands],
        },
        {
          provide: DepartedMembers,
          useFactory: (
            copy: DirectoryCopy,
            policies: DirectoryPolicies,
            commands: TagCommands,
            db: DataSource,
          ) => new DepartedMembers(copy, policies, commands, db),
          inject: [DirectoryCopy, DirectoryPolicies, TagCommands, DataSource],
        },
        // One checkpoints table for the projection, the processes and the relay, in tag-service's schema.
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
            registry: ComponentRegistry | undefined,
          ) => tagsRuntime(config, checkpoints, parking, registry ?? new ComponentRegistry()),
          inject: [
            PostgresCheckpointStore,
            PostgresParkedEvents,
            { token: COMPONENT_REGISTRY, optional: true },
          ],
        },
        {
          provide: CatalogViewProjection,
          useFactory: (store: EventStore, db: DataSource, runtime: LeasedRuntime) =>
            runtime.supervise(
              CATALOG_VIEW,
              'projection',
              (supervision) =>
                new CatalogViewProjection(store, db, runtime.fenced, CATALOG_VIEW, supervision),
              (p) => p.lag(),
            ),
          inject: [EVENT_STORE, DataSource, RUNTIME],
        },
        {
          provide: FollowUpProcess,
          useFactory: (store: EventStore, commands: TagCommands, runtime: LeasedRuntime) =>
            runtime.supervise(
              'tag-service.follow-up',
              'process',
              (supervision) => new FollowUpProcess(store, commands, runtime.fenced, supervision),
              (p) => p.lag(),
            ),
          inject: [EVENT_STORE, TagCommands, RUNTIME],
        },
        {
          provide: RevertProcess,
          useFactory: (store: EventStore, commands: TagCommands, runtime: LeasedRuntime, db: DataSource) =>
            runtime.supervise(
              'tag-service.revert',
              'process',
              (supervision) =>
                new RevertProcess(store, commands, runtime.fenced, db, config.databaseSchema, supervision),
              (p) => p.lag(),
            ),
          inject: [EVENT_STORE, TagCommands, RUNTIME, DataSource],
        },
        {
          provide: PurgeTimer,
          useFactory: (commands: TagCommands, db: DataSource, runtime: LeasedRuntime) =>
            runtime.supervise(
              'tag-service.purge-timer',
              'timer',
              ({ component }) =>
                new PurgeTimer(commands, db, config.purgeIntervalMs, () => commands.now(), component),
            ),
          inject: [TagCommands, DataSource, RUNTIME],
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
          useFactory: (reader: TimeMachineReader, commands: TagCommands, authorizer: TagAuthorizer) =>
            new TimeMachine(reader, commands, undefined, (principal) => authorizer.reader(principal)),
          inject: [TimeMachineReader, TagCommands, TAG_AUTHORIZER],
        },
        {
          provide: SnapshotProcess,
          useFactory: (
            store: EventStore,
            reader: TimeMachineReader,
            snapshots: SnapshotStore,
            runtime: LeasedRuntime,
          ) =>
            runtime.supervise(
              'tag-service.snapshots',
              'process',
              (supervision) =>
                new SnapshotProcess(
                  store,
                  reader,
                  snapshots,
                  runtime.fenced,
                  config.snapshotEvery,
                  supervision,
                ),
              (p) => p.lag(),
            ),
          inject: [EVENT_STORE, TimeMachineReader, SnapshotStore, RUNTIME],
        },
        {
          provide: ReadModelRebuilder,
          useFactory: (
            store: EventStore,
            db: DataSource,
            projection: CatalogViewProjection,
            checkpoints: PostgresCheckpointStore,
            runtime: LeasedRuntime,
          ) =>
            new ReadModelRebuilder(
              store,
              db,
              config.databaseSchema,
              projection,
              checkpoints,
              () => runtime.leading,
            ),
          inject: [EVENT_STORE, DataSource, CatalogViewProjection, PostgresCheckpointStore, RUNTIME],
        },
        { provide: TokenVerifier, useFactory: () => new TokenVerifier(config.auth.pem) },
        denialRecorderProvider(
          (store: EventStore) => new EventStoreDenialRecorder(store, new TokenVerifier(config.auth.pem)),
          [EVENT_STORE],
        ),
        {
          provide: TAG_AUTHORIZER,
          useFactory: (policies: PolicyCopy, directory: DirectoryCopy, commands: TagCommands) =>
            new EngineTagAuthorizer(
              policies,
              directory,
              async (tenantId) => (await commands.catalog(tenantId)).state,
            ),
          inject: [PolicyCopy, DirectoryCopy, TagCommands],
        },
        {
          provide: TAG_EDGE,
          useFactory: (
            verifier: TokenVerifier,
            authorizer: TagAuthorizer,
            projection: CatalogViewProjection,
            sessions: CallerSessions,
            policies: PolicyCopy,
          ) => ({ verifier, authorizer, projection, sessions, policies }) satisfies EdgeDeps,
          inject: [TokenVerifier, TAG_AUTHORIZER, CatalogViewProjection, CallerSessions, PolicyCopy],
        },
        {
          provide: TAG_RELAY,
          useFactory: (store: EventStore, runtime: LeasedRuntime) =>
            createRelay(config, store, runtime, events),
          inject: [EVENT_STORE, RUNTIME],
        },
        TagsLifecycle,
      ],
    };
  }
}
