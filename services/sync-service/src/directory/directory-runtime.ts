import { Logger } from '@nestjs/common';
import {
  FencedError,
  LeasedWorkers,
  PostgresLease,
  type CheckpointStore,
  type LeasedWorker,
  type PostgresCheckpointStore,
  type PostgresParkedEvents,
  type SubscriberRuntime,
} from '@tagguard/messaging';
import type { ComponentHandle, ComponentKind, ComponentLag, ComponentRegistry } from '@tagguard/telemetry';

type Owner = { start(): Promise<void> | void; stop(): Promise<void> };

/**
 * What the directory's background components (projection, relay) run under: one lease per database
 * schema (instances sharing it have one writer of checkpoints), checkpoints fenced by its epoch, parked
 * events, and the registry that turns their reports into health entries, logs and metrics.
 */
export class DirectoryRuntime {
  private readonly workers = new Map<object, LeasedWorker>();
  private group?: LeasedWorkers;
  readonly fenced: CheckpointStore;
  private readonly lease: PostgresLease;

  constructor(
    name: string,
    databaseUrl: string,
    checkpoints: PostgresCheckpointStore,
    private readonly parking: PostgresParkedEvents,
    private readonly registry: ComponentRegistry,
  ) {
    this.lease = new PostgresLease({
      name,
      connectionString: databaseUrl,
      checkpoints,
      onAcquired: () => this.group!.callbacks.onAcquired(),
      onLost: () => this.group!.callbacks.onLost(),
      onError: (error) => new Logger('DirectoryRuntime').warn(`lease ${name}: ${String(error)}`),
    });
    this.fenced = checkpoints.fenced(name, () => this.lease.epoch);
  }

  /** Registers `owner` as a component: health entry, lag and parked events; its failures are seen. */
  supervise<T extends Owner>(
    name: string,
    kind: ComponentKind,
    build: (runtime: SubscriberRuntime & { component: ComponentHandle }) => T,
    lag: (owner: T) => Promise<ComponentLag | undefined>,
  ): T {
    const built: { owner?: T } = {};
    const component = this.registry.register({
      name,
      kind,
      lag: () => (built.owner ? lag(built.owner) : Promise.resolve(undefined)),
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
    this.workers.set(owner, { component, start: async () => owner.start(), stop: () => owner.stop() });
    return owner;
  }

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
