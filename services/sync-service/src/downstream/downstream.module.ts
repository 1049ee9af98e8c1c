import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import type { EventStore } from '@tagguard/event-store';
import type { LeasedRuntime, MessageTransport } from '@tagguard/messaging';
import { DataSource } from 'typeorm';
import type { SyncServiceConfig } from '../config/sync-service.config';
import { DirectoryCommands } from '../directory/commands/directory-commands';
import {
  DIRECTORY_EVENT_STORE,
  DIRECTORY_RUNTIME,
  DIRECTORY_RUNTIME_OWNERS,
} from '../directory/directory.module';
import { DirectoryViewProjection } from '../directory/projections/directory-view/directory-view.projection';
import { ChannelCommands } from './channels/commands/channel-commands';
import { DesiredState } from './desired/desired-state';
import { DownstreamGrpcController } from './downstream.grpc.controller';
import { DownstreamTables } from './downstream.tables';
import { DRIFT_TIMER, DriftDetector } from './drift/drift-detector';
import { ChannelApplier, DOWNSTREAM_APPLIER, type DownstreamConnectors } from './queue/channel-applier';
import { ChannelQueue } from './queue/channel-queue';
import { DirectoryPlanner, DOWNSTREAM_PLANNER } from './queue/directory-planner';
import { ForceResync } from './resync/force-resync';
import { TagCopy } from './tag-copy/tag-copy';
import { TagEventsKafkaController } from './tag-copy/tag-events.kafka.controller';

class DownstreamLifecycle implements OnApplicationShutdown {
  constructor(@Inject(ChannelApplier) private readonly applier: ChannelApplier) {}
  async onApplicationShutdown(): Promise<void> {
    await this.applier.stop();
  }
}

/**
 * The downstream channels (D73): their configuration (event-sourced, through the directory's write
 * path), the planner from the directory's events, the local tag copy from tag-service's events, the
 * per-channel queue and its applier, drift detection and forced resync. Its components run under the
 * directory's lease, started after the directory's own. `connectors`: the connectors this process offers
 * (none in the embedded mode; production passes real ones, never a test double).
 */
@Module({})
export class DownstreamModule {
  static forRoot(
    config: SyncServiceConfig,
    connectors: DownstreamConnectors,
    events?: MessageTransport,
  ): DynamicModule {
    return {
      module: DownstreamModule,
      controllers: [DownstreamGrpcController, ...(events ? [TagEventsKafkaController] : [])],
      providers: [
        {
          provide: DownstreamTables,
          useFactory: async (db: DataSource) => {
            // Consumed before tag-service may have published anything: the topic must exist.
            await events?.ensureTopics([TAG_EVENTS_TOPIC_V1]);
            return DownstreamTables.create(db, config.databaseSchema);
          },
          inject: [DataSource],
        },
        {
          provide: DesiredState,
          useFactory: (t: DownstreamTables) => new DesiredState(t, config.databaseSchema),
          inject: [DownstreamTables],
        },
        {
          provide: ChannelQueue,
          useFactory: (t: DownstreamTables, d: DesiredState) => new ChannelQueue(t, d),
          inject: [DownstreamTables, DesiredState],
        },
        {
          provide: ChannelCommands,
          useFactory: (commands: DirectoryCommands) => new ChannelCommands(commands.writer, connectors),
          inject: [DirectoryCommands],
        },
        {
          provide: DirectoryPlanner,
          useFactory: (
            store: EventStore,
            db: DataSource,
            view: DirectoryViewProjection,
            t: DownstreamTables,
            queue: ChannelQueue,
            runtime: LeasedRuntime,
            owners: object[],
          ) => {
            const planner = runtime.supervise(
              DOWNSTREAM_PLANNER,
              'process',
              (supervision) => new DirectoryPlanner(store, db, view, t, queue, runtime.fenced, supervision),
              (p) => p.lag(),
            );
            owners.push(planner);
            return planner;
          },
          inject: [
            DIRECTORY_EVENT_STORE,
            DataSource,
            DirectoryViewProjection,
            DownstreamTables,
            ChannelQueue,
            DIRECTORY_RUNTIME,
            DIRECTORY_RUNTIME_OWNERS,
          ],
        },
        {
          provide: ChannelApplier,
          useFactory: (db: DataSource, t: DownstreamTables, runtime: LeasedRuntime, owners: object[]) => {
            const applier = runtime.supervise(
              DOWNSTREAM_APPLIER,
              'process',
              ({ component }) => new ChannelApplier(db, t, connectors, component),
              (a) => a.lag(),
            );
            owners.push(applier);
            return applier;
          },
          inject: [DataSource, DownstreamTables, DIRECTORY_RUNTIME, DIRECTORY_RUNTIME_OWNERS],
        },
        {
          provide: DriftDetector,
          useFactory: (
            db: DataSource,
            t: DownstreamTables,
            desired: DesiredState,
            queue: ChannelQueue,
            applier: ChannelApplier,
            runtime: LeasedRuntime,
            owners: object[],
          ) => {
            const drift = runtime.supervise(
              DRIFT_TIMER,
              'timer',
              ({ component }) => new DriftDetector(db, t, desired, queue, applier, component),
            );
            owners.push(drift);
            return drift;
          },
          inject: [
            DataSource,
            DownstreamTables,
            DesiredState,
            ChannelQueue,
            ChannelApplier,
            DIRECTORY_RUNTIME,
            DIRECTORY_RUNTIME_OWNERS,
          ],
        },
        {
          provide: ForceResync,
          useFactory: (
            db: DataSource,
            t: DownstreamTables,
            d: DesiredState,
            q: ChannelQueue,
            a: ChannelApplier,
          ) => new ForceResync(db, t, d, q, a),
          inject: [DataSource, DownstreamTables, DesiredState, ChannelQueue, ChannelApplier],
        },
        {
          provide: TagCopy,
          useFactory: (db: DataSource, t: DownstreamTables, q: ChannelQueue) => new TagCopy(db, t, q),
          inject: [DataSource, DownstreamTables, ChannelQueue],
        },
        DownstreamLifecycle,
      ],
    };
  }
}
