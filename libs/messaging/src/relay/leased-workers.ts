import type { ComponentHandle } from '@tagguard/telemetry';

/** A background component the lease starts on the leader and stops on a standby. */
export interface LeasedWorker {
  readonly component: ComponentHandle;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** While another instance leads, e.g. follow the leader's checkpoint to answer reads. */
  standBy?(): Promise<void>;
}

/**
 * Runs a service's workers on whichever instance holds its lease: all of them start when it is taken
 * (after the epoch is bumped, so their checkpoints are loaded under the new epoch) and all stop when it
 * is lost. A standby's workers report `standby` with role `standby`: healthy, but not doing the work.
 */
export class LeasedWorkers {
  private leading = false;
  private turn: Promise<void> = Promise.resolve();

  constructor(private readonly workers: LeasedWorker[]) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** The lease's callbacks; one transition at a time, in order. */
  readonly callbacks = {
    onAcquired: (): Promise<void> => this.serialize(() => this.lead()),
    onLost: (): Promise<void> => this.serialize(() => this.standBy()),
  };

  /** At start, before the first try: everything stands by until the lease is taken. */
  async initial(): Promise<void> {
    await this.serialize(() => this.standBy());
  }

  /** A worker found itself fenced: another instance leads now. The lease notices too; this stops it now. */
  fenced(worker: LeasedWorker): void {
    void this.serialize(async () => {
      await worker.stop();
      worker.component.setRole('standby');
      worker.component.set('standby');
      await worker.standBy?.();
    });
  }

  async stop(): Promise<void> {
    await this.serialize(async () => {
      this.leading = false;
      for (const worker of [...this.workers].reverse()) await worker.stop();
    });
  }

  private async lead(): Promise<void> {
    this.leading = true;
    for (const worker of this.workers) {
      worker.component.setRole('leader');
      await worker.start();
    }
  }

  private async standBy(): Promise<void> {
    this.leading = false;
    for (const worker of [...this.workers].reverse()) await worker.stop();
    for (const worker of this.workers) {
      worker.component.setRole('standby');
      worker.component.set('standby');
      await worker.standBy?.();
    }
  }

  private serialize(step: () => Promise<void>): Promise<void> {
    const next = this.turn.then(step, step);
    this.turn = next.catch(() => undefined);
    return next;
  }
}
