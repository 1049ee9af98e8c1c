import type { ComponentHandle, ComponentKind, ComponentLag, ComponentRegistry } from '@tagguard/telemetry';
import type { EventStore, RecordedEvent } from '@tagguard/event-store';
import type { IntegrationMessage } from '../message';
import type { MessageTransport } from '../transport/message-transport';
import { FencedError, type CheckpointStore, type PostgresCheckpointStore } from './checkpoint-store';
import type { SubscriberRuntime } from './checkpointed-subscriber';
import { PostgresLease } from './lease';
import { EventRelay } from './event-relay';
import { LeasedWorkers, type LeasedWorker } from './leased-workers';
import type { PostgresParkedEvents } from './parked-events';

/** A supervised relay and what closes it (the relay, then its publisher). */
export type SupervisedRelay = { relay: EventRelay; close(): Promise<void> };

type Owner = { start(): Promise<void> | void; stop(): Promise<void>; standBy?(): Promise<void> };

export interface LeasedRuntimeOptions {
  /** The lease's name: one per service and database schema, so instances sharing them have one writer. */
  name: string;
  connectionString: string;
  checkpoints: PostgresCheckpointStore;
  parking: PostgresParkedEvents;
  registry: ComponentRegistry;
  /** A lease session that broke while standing by (the leader's loss goes to the workers). */
  onLeaseError: (error: unknown) => void;
}

/**
 * What a service's background components (projections, relays, processes) run under: one lease,
 * checkpoints fenced by its epoch, the parked-events table, and the registry that turns their reports into
 * health entries, logs and metrics.
 */
export class LeasedRuntime {
  private readonly workers = new Map<object, LeasedWorker>();
  private group?: LeasedWorkers;
  readonly fenced: CheckpointStore;
  readonly lease: PostgresLease;
  private readonly parking: PostgresParkedEvents;
  private readonly registry: ComponentRegistry;

  constructor(options: LeasedRuntimeOptions) {
    this.parking = options.parking;
    this.registry = options.registry;
    this.lease = new PostgresLease({
      name: options.name,
      connectionString: options.connectionString,
      checkpoints: options.checkpoints,
      onAcquired: () => this.group!.callbacks.onAcquired(),
      onLost: () => this.group!.callbacks.onLost(),
      onError: options.onLeaseError,
    });
    this.fenced = options.checkpoints.fenced(options.name, () => this.lease.epoch);
  }

  get leading(): boolean {
    return this.group?.isLeader ?? false;
  }

  /**
   * Registers `owner` as a component: its health entry, its lag and parked events in ListComponents,
   * and what its CheckpointedSubscriber needs to report, park and notice it was fenced.
   */
  supervise<T extends Owner>(
    name: string,
    kind: ComponentKind,
    build: (runtime: SubscriberRuntime & { component: ComponentHandle }) => T,
    lag?: (owner: T) => Promise<ComponentLag | undefined>,
  ): T {
    const built: { owner?: T } = {};
    const component = this.registry.register({
      name,
      kind,
      ...(lag ? { lag: () => (built.owner ? lag(built.owner) : Promise.resolve(undefined)) } : {}),
      parkedEvents: async (limit) =>
        (await this.parking.list(name, limit)).map((p) => ({
          eventId: p.eventId,
          what: `${p.type} on ${p.streamId} at ${p.position}`,
          reason: p.reason,
          attempts: p.attempts,
          parkedAt: p.parkedAt,
        })),
    });
    const owner = build({
      component,
      parking: this.parking,
      isFatal: (error) => error instanceof FencedError,
      onEnded: (error) => {
        const worker = built.owner && this.workers.get(built.owner);
        if (error instanceof FencedError && worker && this.group) this.group.fenced(worker);
        else component.set('failed', error);
      },
    });
    built.owner = owner;
    this.workers.set(owner, {
      component,
      start: async () => owner.start(),
      stop: () => owner.stop(),
      ...(owner.standBy ? { standBy: () => owner.standBy!() } : {}),
    });
    return owner;
  }

  /**
   * The service's relay from its event store to `topics` on the transport, supervised like any component
   * (fenced checkpoints, parking, health and lag); undefined when the service has no transport.
   */
  async relay(options: {
    name: string;
    store: EventStore;
    categories: string[];
    translate: (event: RecordedEvent) => IntegrationMessage | undefined;
    events: MessageTransport | undefined;
    topics: string[];
    batchSize?: number;
  }): Promise<SupervisedRelay | undefined> {
    const { events } = options;
    if (!events) return undefined;
    await events.ensureTopics(options.topics);
    const publisher = await events.publisher();
    const relay = this.supervise(
      options.name,
      'relay',
      (supervision) =>
        new EventRelay({
          name: options.name,
          store: options.store,
          filter: { categories: options.categories },
          translate: options.translate,
          publisher,
          checkpoints: this.fenced,
          ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
          ...supervision,
        }),
      (r) => r.lag(),
    );
    return {
      relay,
      async close() {
        await relay.stop();
        await publisher.close();
      },
    };
  }

  /** Puts the owners' workers under the lease, in this order (stopped in reverse). */
  async start(owners: object[]): Promise<void> {
    this.group = new LeasedWorkers(owners.map((o) => this.workers.get(o)!));
    await this.group.initial();
    await this.lease.start();
  }

  async stop(): Promise<void> {
    await this.group?.stop();
    await this.lease.stop();
  }
}
