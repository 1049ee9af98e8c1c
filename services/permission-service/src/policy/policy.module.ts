import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { TokenVerifier } from '@tagguard/auth';
import { PERMISSION_ACCESS_DENIED_TOPIC_V1, PERMISSION_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import { openEventStore, type EventStore } from '@tagguard/event-store';
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
import type { PermissionServiceConfig } from '../config/permission-service.config';
import { PolicyAuthorizer } from './authorization/policy-authorizer';
import { CheckGrpcController } from './check.grpc.controller';
import { assignmentsInMemory, PolicyCommands } from './commands/policy-commands';
import { PolicyWriter } from './commands/policy-writer';
import { CopyEventsKafkaController } from './copies/copy-events.kafka.controller';
import { LocalCopies } from './copies/local-copies';
import { POLICY_EDGE, type EdgeDeps } from './edge';
import { POLICY_MEMORY, PolicyMemory } from './engine/policy-memory';
import { toIntegrationMessage } from './integration/policy-events.translation';
import { PolicyGrpcController } from './policy.grpc.controller';
import { POLICY_VIEW, PolicyViewProjection } from './projections/policy-view/policy-view.projection';
import { openReadModel } from './projections/policy-view/read-model';
import { POLICY_CATEGORIES } from './streams';
import { serviceLogger } from '../service-logger';

export const POLICY_EVENT_STORE = Symbol('POLICY_EVENT_STORE');
const RUNTIME = Symbol('POLICY_RUNTIME');
const RELAY = Symbol('POLICY_RELAY');
const REGISTRY = Symbol('POLICY_REGISTRY');
export const POLICY_RELAY_NAME = 'permission-service.policy-relay';

type Relay = SupervisedRelay | undefined;

class PolicyLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(RUNTIME) private readonly runtime: LeasedRuntime,
    @Inject(PolicyViewProjection) private readonly projection: PolicyViewProjection,
    @Inject(PolicyMemory) private readonly memory: PolicyMemory,
    @Inject(RELAY) private readonly relay: Relay,
    @Inject(POLICY_EVENT_STORE) private readonly store: EventStore,
    @Inject(DataSource) private readonly db: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Every instance folds the whole policy before it answers a check; the projection and the relay run
    // on the lease holder only.
    await this.memory.start();
    await this.runtime.start([this.projection, ...(this.relay ? [this.relay.relay] : [])]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
    await this.relay?.close();
    await this.memory.stop();
    await this.store.close();
    await this.db.destroy();
  }
}

/**
 * The permission policy: its admin API and checks, the one write path, the read model, the in-memory
 * policy, the local copies of the directory and the tags, and the relay to PERMISSION_EVENTS_TOPIC_V1.
 * Exports what another feature of this service (e.g. conflict analysis) needs to read the same snapshot.
 */
@Module({})
export class PolicyModule {
  static forRoot(config: PermissionServiceConfig, events?: MessageTransport): DynamicModule {
    return {
      module: PolicyModule,
      global: true,
      controllers: [PolicyGrpcController, CheckGrpcController, CopyEventsKafkaController],
      providers: [
        denialRecorderProvider(
          (store: EventStore) => new EventStoreDenialRecorder(store, new TokenVerifier(config.auth.pem)),
          [POLICY_EVENT_STORE],
        ),
        {
          provide: POLICY_EVENT_STORE,
          useFactory: () =>
            openEventStore({
              url: config.eventStoreUrl,
              schema: config.eventStoreSchema,
              listen: config.eventStoreListen,
              poolSize: config.poolSize,
            }),
        },
        {
          provide: DataSource,
          useFactory: () => openReadModel(config.databaseUrl, config.databaseSchema, config.poolSize),
        },
        {
          provide: PolicyCommands,
          useFactory: (store: EventStore, memory: PolicyMemory) => {
            const writer = new PolicyWriter(store);
            return new PolicyCommands(writer, assignmentsInMemory(writer, memory));
          },
          inject: [POLICY_EVENT_STORE, PolicyMemory],
        },
        {
          provide: LocalCopies,
          useFactory: (db: DataSource) => new LocalCopies(db, config.databaseSchema),
          inject: [DataSource],
        },
        {
          provide: REGISTRY,
          useFactory: (registry?: ComponentRegistry) => registry ?? new ComponentRegistry(),
          inject: [{ token: COMPONENT_REGISTRY, optional: true }],
        },
        {
          provide: PolicyMemory,
          useFactory: (store: EventStore, registry: ComponentRegistry) =>
            new PolicyMemory(store, registry.register({ name: POLICY_MEMORY, kind: 'projection' })),
          inject: [POLICY_EVENT_STORE, REGISTRY],
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
          // One lease per permission-service database schema: instances sharing it have one writer of checkpoints.
          useFactory: (
            checkpoints: PostgresCheckpointStore,
            parking: PostgresParkedEvents,
            registry: ComponentRegistry,
          ) => {
            const name = `permission-service@${config.databaseSchema}`;
            return new LeasedRuntime({
              name,
              connectionString: config.databaseUrl,
              checkpoints,
              parking,
              registry,
              onLeaseError: (error) => serviceLogger('PolicyRuntime').warn(`lease ${name}: ${String(error)}`),
            });
          },
          inject: [PostgresCheckpointStore, PostgresParkedEvents, REGISTRY],
        },
        {
          provide: PolicyViewProjection,
          useFactory: (store: EventStore, db: DataSource, runtime: LeasedRuntime) =>
            runtime.supervise(
              POLICY_VIEW,
              'projection',
              (supervision) => new PolicyViewProjection(store, db, runtime.fenced, supervision),
              (p) => p.lag(),
            ),
          inject: [POLICY_EVENT_STORE, DataSource, RUNTIME],
        },
        {
          provide: RELAY,
          useFactory: (store: EventStore, runtime: LeasedRuntime) =>
            runtime.relay({
              name: POLICY_RELAY_NAME,
              store,
              categories: [...POLICY_CATEGORIES, ACCESS_DENIAL_CATEGORY],
              translate: withAccessDenials(PERMISSION_ACCESS_DENIED_TOPIC_V1, toIntegrationMessage),
              events,
              topics: [PERMISSION_EVENTS_TOPIC_V1, PERMISSION_ACCESS_DENIED_TOPIC_V1],
              batchSize: config.relayBatchSize,
            }),
          inject: [POLICY_EVENT_STORE, RUNTIME],
        },
        {
          provide: POLICY_EDGE,
          useFactory: (memory: PolicyMemory, copies: LocalCopies) =>
            ({
              verifier: new TokenVerifier(config.auth.pem),
              authorizer: new PolicyAuthorizer(),
              snapshot: async (tenantId) => {
                const copy = await copies.tenant(tenantId);
                return { policy: memory.policy(tenantId), directory: copy, tags: copy };
              },
            }) satisfies EdgeDeps,
          inject: [PolicyMemory, LocalCopies],
        },
        PolicyLifecycle,
      ],
      exports: [POLICY_EDGE, PolicyMemory, LocalCopies, PolicyCommands, DataSource],
    };
  }
}
