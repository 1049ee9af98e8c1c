import type {
  EventFilter,
  EventStore,
  GlobalPosition,
  RecordedEvent,
  Subscription,
} from '@tagguard/event-store';
import type { ComponentHandle } from '@tagguard/telemetry';
import type { Pool, PoolClient } from 'pg';
import { createTables, inTransaction, table } from '../timers/sql';

const CHECKPOINTS = 'mute_flow_checkpoints';
/** How long a command waits for its own write to reach the read model before answering anyway. */
export const READ_YOUR_WRITE_MS = 5_000;
const REOPEN_BASE_MS = 500;
const REOPEN_MAX_MS = 30_000;

/** How long a subscription waits before it reopens after its n-th failure in a row: doubling, capped. */
export const reopenDelayMs = (failures: number): number =>
  Math.min(REOPEN_MAX_MS, REOPEN_BASE_MS * 2 ** Math.min(failures - 1, 10));

const notBefore = (a: GlobalPosition, b: GlobalPosition): boolean =>
  a.commit > b.commit || (a.commit === b.commit && a.prepare >= b.prepare);

/**
 * A read model fed from mute-service's event store (D110): each batch is applied and its checkpoint (a row of
 * mute_flow_checkpoints; HoldFeed is one too) written in one transaction, so a crash replays a batch whole or not
 * at all; `apply` is idempotent anyway, so every instance may run the feed over the same tables. Dropping the
 * tables and the checkpoint row and starting again rebuilds the same rows: the tables are a projection.
 */
export class ReadModelFeed {
  private subscription?: Subscription;
  private processed?: GlobalPosition;
  private waiters: { position: GlobalPosition; resolve: () => void }[] = [];
  private stopped = false;
  private failures = 0;
  private reopen?: NodeJS.Timeout;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly store: EventStore,
    private readonly options: {
      name: string;
      filter: EventFilter;
      apply: (tx: PoolClient, events: RecordedEvent[]) => Promise<void>;
      component?: ComponentHandle;
    },
  ) {}

  private get checkpoints(): string {
    return table(this.schema, CHECKPOINTS);
  }

  static async createCheckpoints(pool: Pool, schema: string): Promise<void> {
    await createTables(pool, schema, 'mute-flow-checkpoints', [
      `CREATE TABLE IF NOT EXISTS ${table(schema, CHECKPOINTS)} (
        name text PRIMARY KEY, commit_pos numeric NOT NULL, prepare_pos numeric NOT NULL)`,
    ]);
  }

  /** Resolves once caught up with what the store held when it started. */
  async start(): Promise<void> {
    await ReadModelFeed.createCheckpoints(this.pool, this.schema);
    const { rows } = await this.pool.query<{ commit_pos: string; prepare_pos: string }>(
      `SELECT commit_pos::text, prepare_pos::text FROM ${this.checkpoints} WHERE name = $1`,
      [this.options.name],
    );
    this.processed = rows[0]
      ? { commit: BigInt(rows[0].commit_pos), prepare: BigInt(rows[0].prepare_pos) }
      : undefined;
    this.stopped = false;
    this.options.component?.set('starting');
    await new Promise<void>((resolve, reject) => this.open({ resolve, reject }));
  }

  /**
   * Subscribes after what this instance has applied. A failed batch (a dropped connection, a deadlock) rolled
   * back whole: once started, the feed reopens after it with backoff, retrying on its component, instead of
   * ending — a dead feed would leave every read-your-write waiting its full timeout and no timer armed.
   */
  private open(starting?: { resolve: () => void; reject: (error: Error) => void }): void {
    const component = this.options.component;
    let pending = starting;
    this.subscription = this.store.subscribe({
      ...(this.processed ? { after: this.processed } : {}),
      filter: this.options.filter,
      batchSize: 500,
      onEvents: async (events) => {
        const last = events[events.length - 1]!.position;
        await inTransaction(this.pool, async (tx) => {
          await this.options.apply(tx, events);
          await tx.query(
            `INSERT INTO ${this.checkpoints} (name, commit_pos, prepare_pos) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET commit_pos = $2, prepare_pos = $3
               WHERE (${this.checkpoints}.commit_pos, ${this.checkpoints}.prepare_pos) < ($2::numeric, $3::numeric)`,
            [this.options.name, last.commit.toString(), last.prepare.toString()],
          );
        });
        this.advance(last);
      },
      onCaughtUp: () => {
        this.failures = 0;
        component?.set('running');
        pending?.resolve();
        pending = undefined;
      },
      onError: (error) => {
        if (this.stopped) return;
        if (pending) {
          // Not started yet: the start fails (and the service with it), as before.
          component?.set('failed', error);
          pending.reject(error as Error);
          pending = undefined;
          return;
        }
        this.failures += 1;
        const delayMs = reopenDelayMs(this.failures);
        component?.retrying(error, this.failures, delayMs);
        this.reopen = setTimeout(() => {
          if (!this.stopped) this.open();
        }, delayMs);
        this.reopen.unref();
      },
      onRetry: (error, attempt, delayMs) => component?.retrying(error, attempt, delayMs),
      onRecovered: () => component?.set('running'),
    });
  }

  private advance(position: GlobalPosition): void {
    this.processed = position;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) (notBefore(position, w.position) ? w.resolve : () => still.push(w))();
    this.waiters = still;
  }

  /**
   * Waits until this instance's feed has applied the event at `position` (read-your-write for the command
   * that wrote it), at most `timeoutMs`; after that the answer goes out and the row follows.
   */
  async waitFor(position: GlobalPosition | undefined, timeoutMs = READ_YOUR_WRITE_MS): Promise<boolean> {
    if (!position || (this.processed && notBefore(this.processed, position))) return true;
    if (!this.subscription) return false;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const waiter = {
        position,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Waits until every event this feed reads that the store holds now is applied (at most `timeoutMs`). */
  async catchUp(timeoutMs = READ_YOUR_WRITE_MS): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const head = await this.store.headPosition();
    for (;;) {
      const page = await this.store.readAll({
        ...(this.processed ? { after: this.processed } : {}),
        to: head,
        filter: this.options.filter,
        maxCount: 1_000,
      });
      if (page.length === 0) return true;
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.waitFor(page[page.length - 1]!.position, left))) return false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reopen);
    await this.subscription?.stop();
    this.subscription = undefined;
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
    this.options.component?.set('stopped');
  }
}
