import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { MUTE_COMMERCE_EVENTS_TOPIC_V1, MUTE_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import type { EventStore } from '@tagguard/event-store';
import { TokenVerifier } from '@tagguard/auth';
import { COMPONENT_REGISTRY } from '@tagguard/grpc-runtime';
import { Inbox, type MessageTransport } from '@tagguard/messaging';
import type { ComponentRegistry } from '@tagguard/telemetry';
import { Pool } from 'pg';
import { AutomationGrpcController } from '../automations/automation.grpc.controller';
import type { AutomationView } from '../automations/automation-view';
import { CommerceEventsKafkaController } from '../automations/integration/commerce-events.kafka.controller';
import { StoreVisitAutomation } from '../automations/store-visit-automation';
import type { MuteServiceConfig } from '../config/mute-service.config';
import { MUTE_EDGE, type EdgeDeps } from '../edge';
import { EventStoreDigestSink } from '../holds/event-store-digest-sink';
import { HoldFeed } from '../holds/hold-feed';
import { HoldGrpcController } from '../holds/hold.grpc.controller';
import { HoldStore } from '../holds/hold-store';
import { MUTE_EVENT_STORE } from '../mute-service.module';
import type { ActiveUnmutes } from '../unmute/active-unmutes';
import { UnmuteGrpcController } from '../unmute/unmute.grpc.controller';
import { UnmuteStore } from '../unmute/unmute-store';
import { MuteWriter } from '../write/mute-writer';
import type { FlowConfig } from './flow.config';
import { FlowRunner } from './flow-runner';
import { FLOW_POOL, FLOW_RUNNER } from './flow.tokens';
import { Outbox } from './outbox';
import { TimerStore } from './timer-store';
import { serviceLogger } from '../service-logger';

export type FlowSeams = { unmutes: ActiveUnmutes; automation: AutomationView };

class FlowLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(HoldFeed) private readonly feed: HoldFeed,
    @Inject(UnmuteStore) private readonly unmutes: UnmuteStore,
    @Inject(StoreVisitAutomation) private readonly automation: StoreVisitAutomation,
    @Inject(FLOW_RUNNER) private readonly runner: FlowRunner,
    @Inject(FLOW_POOL) private readonly pool: Pool,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await Promise.all([this.feed.start(), this.unmutes.feed.start(), this.automation.feed.start()]);
    await this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
    await this.feed.stop().catch(() => undefined);
    await this.unmutes.feed.stop().catch(() => undefined);
    await this.automation.feed.stop().catch(() => undefined);
    await this.pool.end();
  }
}

/**
 * Holds and digests, durable timers, temporary unmutes with their reports and the store-visit automation
 * (issue 13 items 4–6; D98…D101), on mute-service's database schema, beside the core module whose writer,
 * event store and copies it uses.
 */
@Module({})
export class MuteFlowModule {
  static forRoot(
    config: MuteServiceConfig,
    flow: FlowConfig,
    seams: FlowSeams,
    events?: MessageTransport,
  ): DynamicModule {
    const schema = config.databaseSchema;
    return {
      module: MuteFlowModule,
      controllers: [
        UnmuteGrpcController,
        HoldGrpcController,
        AutomationGrpcController,
        CommerceEventsKafkaController,
      ],
      providers: [
        {
          provide: FLOW_POOL,
          useFactory: () => {
            const pool = new Pool({ connectionString: config.databaseUrl, max: 5 });
            pool.on('error', (e) =>
              serviceLogger('MuteFlow').warn(`an idle database connection broke: ${e.message}`),
            );
            return pool;
          },
        },
        { provide: Outbox, useFactory: (pool: Pool) => Outbox.create(pool, schema), inject: [FLOW_POOL] },
        {
          provide: TimerStore,
          useFactory: (pool: Pool) => TimerStore.create(pool, schema),
          inject: [FLOW_POOL],
        },
        {
          provide: Inbox,
          useFactory: (pool: Pool) => Inbox.create(pool, schema),
          inject: [FLOW_POOL],
        },
        {
          provide: HoldStore,
          useFactory: (pool: Pool, writer: MuteWriter) =>
            HoldStore.create(pool, schema, new EventStoreDigestSink(writer), writer),
          inject: [FLOW_POOL, MuteWriter],
        },
        {
          provide: UnmuteStore,
          useFactory: (
            pool: Pool,
            store: EventStore,
            writer: MuteWriter,
            timers: TimerStore,
            registry?: ComponentRegistry,
          ) =>
            UnmuteStore.create(
              pool,
              schema,
              store,
              writer,
              timers,
              registry?.register({ name: 'mute-service.unmute-feed', kind: 'projection' }),
            ),
          inject: [
            FLOW_POOL,
            MUTE_EVENT_STORE,
            MuteWriter,
            TimerStore,
            { token: COMPONENT_REGISTRY, optional: true },
          ],
        },
        {
          provide: StoreVisitAutomation,
          useFactory: (
            pool: Pool,
            store: EventStore,
            writer: MuteWriter,
            timers: TimerStore,
            registry?: ComponentRegistry,
          ) =>
            StoreVisitAutomation.create(
              pool,
              schema,
              store,
              writer,
              timers,
              registry?.register({ name: 'mute-service.automation-feed', kind: 'projection' }),
            ),
          inject: [
            FLOW_POOL,
            MUTE_EVENT_STORE,
            MuteWriter,
            TimerStore,
            { token: COMPONENT_REGISTRY, optional: true },
          ],
        },
        {
          provide: HoldFeed,
          useFactory: (pool: Pool, store: EventStore, holds: HoldStore, registry?: ComponentRegistry) =>
            HoldFeed.create(
              pool,
              schema,
              store,
              holds,
              registry?.register({ name: 'mute-service.hold-feed', kind: 'projection' }),
            ),
          inject: [FLOW_POOL, MUTE_EVENT_STORE, HoldStore, { token: COMPONENT_REGISTRY, optional: true }],
        },
        {
          provide: FLOW_RUNNER,
          useFactory: async (
            timers: TimerStore,
            holds: HoldStore,
            unmutes: UnmuteStore,
            automation: StoreVisitAutomation,
            outbox: Outbox,
            registry?: ComponentRegistry,
          ) => {
            let publisher;
            if (events) {
              await events.ensureTopics([MUTE_EVENTS_TOPIC_V1, MUTE_COMMERCE_EVENTS_TOPIC_V1]);
              publisher = await events.publisher();
            }
            return new FlowRunner(
              {
                timers,
                holds,
                unmutes,
                automation,
                outbox,
                activeUnmutes: seams.unmutes,
                automationView: seams.automation,
                ...(publisher ? { publisher } : {}),
                ...(registry
                  ? { component: registry.register({ name: 'mute-service.flow', kind: 'process' }) }
                  : {}),
              },
              { tickMs: flow.tickMs, sweep: flow.sweep },
            );
          },
          inject: [
            TimerStore,
            HoldStore,
            UnmuteStore,
            StoreVisitAutomation,
            Outbox,
            { token: COMPONENT_REGISTRY, optional: true },
          ],
        },
        {
          provide: MUTE_EDGE,
          useFactory: () => ({ verifier: new TokenVerifier(config.auth.pem) }) satisfies EdgeDeps,
        },
        FlowLifecycle,
      ],
    };
  }
}
