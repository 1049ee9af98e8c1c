import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { TokenVerifier } from '@tagguard/auth';
import {
  MUTE_ACCESS_DENIED_TOPIC_V1,
  MUTE_DELIVERIES_TOPIC_V1,
  MUTE_EVENTS_TOPIC_V1,
  MUTE_MESSAGES_TOPIC_V1,
  DIRECTORY_EVENTS_TOPIC_V1,
  TAG_EVENTS_TOPIC_V1,
} from '@tagguard/contracts';
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
import type { DecisionOverlay } from './automations/automation-view';
import type { MuteServiceConfig } from './config/mute-service.config';
import { CopyEventsKafkaController } from './copies/copy-events.kafka.controller';
import { LocalCopies } from './copies/local-copies';
import { openReadModel } from './copies/read-model';
import { DecideGrpcController } from './decisions/decide.grpc.controller';
import { IngestKafkaController } from './decisions/ingest.kafka.controller';
import { MessageDecisions } from './decisions/message-decisions';
import { NO_UNMUTES, UNMUTE_SOURCE, type UnmuteSource } from './decisions/unmute-source';
import { MUTE_EDGE, type EdgeDeps } from './edge';
import { toIntegrationMessage } from './integration/mute-events.translation';
import { MUTE_MEMORY, MuteMemory } from './memory/mute-memory';
import { RuleGrpcController } from './rules/rule.grpc.controller';
import { RELAYED_CATEGORIES } from './streams';
import { MuteWriter } from './write/mute-writer';
import { serviceLogger } from './service-logger';

export const MUTE_EVENT_STORE = Symbol('MUTE_EVENT_STORE');
const RUNTIME = Symbol('MUTE_RUNTIME');
const RELAY = Symbol('MUTE_RELAY');
const REGISTRY = Symbol('MUTE_REGISTRY');
export const MUTE_RELAY_NAME = 'mute-service.relay';

type Relay = SupervisedRelay | undefined;

class MuteLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(RUNTIME) private readonly runtime: LeasedRuntime,
    @Inject(MuteMemory) private readonly memory: MuteMemory,
    @Inject(RELAY) private readonly relay: Relay,
    @Inject(MUTE_EVENT_STORE) private readonly store: EventStore,
    @Inject(DataSource) private readonly db: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Every instance folds the rules before it decides; the relay runs on the lease holder only.
    await this.memory.start();
    await this.runtime.start(this.relay ? [this.relay.relay] : []);
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
 * Mute rules and green channels (RuleService), the decisions (DecideService and the Kafka ingest), the one
 * write path, the folded rules, the local copies of the directory and the tags, and the relay to
 * MUTE_EVENTS_TOPIC_V1 and MUTE_DELIVERIES_TOPIC_V1. Exports what the hold/release features need: the writer
 * (messageDecider's ReleaseHeld), the memory, the copies, the event store, and UNMUTE_SOURCE to override.
 */
@Module({})
export class MuteServiceModule {
  static forRoot(
    config: MuteServiceConfig,
    events?: MessageTransport,
    unmutes: UnmuteSource = NO_UNMUTES,
    overlay?: DecisionOverlay,
  ): DynamicModule {
    return {
      module: MuteServiceModule,
      global: true,
      controllers: [
        RuleGrpcController,
        DecideGrpcController,
        CopyEventsKafkaController,
        IngestKafkaController,
      ],
      providers: [
        // Refusals (PERMISSION_DENIED) are appended to this store and relayed to the denial topic (D103).
        denialRecorderProvider(
          (store: EventStore) => new EventStoreDenialRecorder(store, new TokenVerifier(config.auth.pem)),
          [MUTE_EVENT_STORE],
        ),
        {
          provide: MUTE_EVENT_STORE,
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
          provide: MuteWriter,
          useFactory: (store: EventStore) => new MuteWriter(store),
          inject: [MUTE_EVENT_STORE],
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
          provide: MuteMemory,
          useFactory: (store: EventStore, registry: ComponentRegistry) =>
            new MuteMemory(store, registry.register({ name: MUTE_MEMORY, kind: 'projection' })),
          inject: [MUTE_EVENT_STORE, REGISTRY],
        },
        { provide: UNMUTE_SOURCE, useValue: unmutes },
        {
          provide: MessageDecisions,
          useFactory: (memory: MuteMemory, copies: LocalCopies, writer: MuteWriter, source: UnmuteSource) =>
            new MessageDecisions(memory, copies, writer, source, Date.now, overlay),
          inject: [MuteMemory, LocalCopies, MuteWriter, UNMUTE_SOURCE],
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
          // One lease per mute-service database schema: instances sharing it have one writer of checkpoints.
          useFactory: (
            checkpoints: PostgresCheckpointStore,
            parking: PostgresParkedEvents,
            registry: ComponentRegistry,
          ) => {
            const name = `mute-service@${config.databaseSchema}`;
            return new LeasedRuntime({
              name,
              connectionString: config.databaseUrl,
              checkpoints,
              parking,
              registry,
              onLeaseError: (error) => serviceLogger('MuteRuntime').warn(`lease ${name}: ${String(error)}`),
            });
          },
          inject: [PostgresCheckpointStore, PostgresParkedEvents, REGISTRY],
        },
        {
          provide: RELAY,
          useFactory: async (store: EventStore, runtime: LeasedRuntime) => {
            // The ingest topic is ours to declare too: a producer may start before any message was sent. The
            // topics the copies read must exist before their consumers subscribe (as tag- and sync-service
            // do): subscribed to a missing topic, kafkajs saw its partitions only at the next metadata
            // refresh (minutes), so a fresh broker's first tag events reached the copies late.
            if (events)
              await events.ensureTopics([
                MUTE_MESSAGES_TOPIC_V1,
                TAG_EVENTS_TOPIC_V1,
                DIRECTORY_EVENTS_TOPIC_V1,
              ]);
            return runtime.relay({
              name: MUTE_RELAY_NAME,
              store,
              categories: [...RELAYED_CATEGORIES, ACCESS_DENIAL_CATEGORY],
              translate: withAccessDenials(MUTE_ACCESS_DENIED_TOPIC_V1, toIntegrationMessage),
              events,
              topics: [MUTE_EVENTS_TOPIC_V1, MUTE_DELIVERIES_TOPIC_V1, MUTE_ACCESS_DENIED_TOPIC_V1],
              batchSize: config.relayBatchSize,
            });
          },
          inject: [MUTE_EVENT_STORE, RUNTIME],
        },
        {
          provide: MUTE_EDGE,
          useFactory: () => ({ verifier: new TokenVerifier(config.auth.pem) }) satisfies EdgeDeps,
        },
        MuteLifecycle,
      ],
      exports: [MuteWriter, MuteMemory, LocalCopies, MessageDecisions, MUTE_EVENT_STORE, DataSource, RUNTIME],
    };
  }
}

export { RUNTIME as MUTE_RUNTIME };
