import { hostname } from 'node:os';
import { Client } from 'pg';
import type { PostgresCheckpointStore } from './checkpoint-store';

export interface LeaseOptions {
  /** The lease, e.g. "tag-service": every instance of the service competes for the same one. */
  name: string;
  connectionString: string;
  checkpoints: PostgresCheckpointStore;
  /** How often a standby tries to take the lease and a leader checks its connection (default 500 ms). */
  retryMs?: number;
  /** Becomes leader with a new epoch: start the work (load checkpoints after this, never before). */
  onAcquired(epoch: bigint): Promise<void>;
  /** Lost the lease (its connection broke): stop the work; fenced saves fail from now on anyway. */
  onLost(error: unknown): Promise<void>;
  /** A failure of the lease connection itself, while standing by. */
  onError?(error: unknown): void;
}

/**
 * Single writer across instances: a PostgreSQL session advisory lock held on a dedicated connection.
 * The holder is the leader; the lock goes with its session, so a killed leader's lease is free as soon
 * as PostgreSQL sees the connection close, and a standby polling `pg_try_advisory_lock` takes over.
 * Each take-over bumps an epoch (the fencing token) that the leader's checkpoint saves check, so a
 * stale leader that has not noticed yet cannot commit.
 */
export class PostgresLease {
  readonly holder = `${hostname()}:${process.pid}`;
  private client?: Client;
  private epochHeld?: bigint;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private turn: Promise<void> = Promise.resolve();

  constructor(private readonly options: LeaseOptions) {}

  /** The epoch while leader, else undefined. */
  get epoch(): bigint | undefined {
    return this.epochHeld;
  }

  /** Tries once now (so a lone instance leads from its first second), then keeps trying in the background. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.step();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.turn;
    await this.release();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.turn = this.step().finally(() => this.schedule());
    }, this.options.retryMs ?? 500);
    this.timer.unref();
  }

  /** Standby: try to take the lock. Leader: check the session is still there. */
  private async step(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.epochHeld !== undefined) {
        await this.client!.query('SELECT 1');
        return;
      }
      this.client ??= await this.connect();
      const { rows } = await this.client.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok',
        [`tagguard.lease:${this.options.name}`],
      );
      if (!rows[0]?.ok) return;
      this.epochHeld = await this.options.checkpoints.nextEpoch(this.options.name, this.holder, this.client);
      await this.options.onAcquired(this.epochHeld);
    } catch (error) {
      await this.lose(error);
    }
  }

  private async connect(): Promise<Client> {
    const client = new Client({ connectionString: this.options.connectionString });
    // A broken session is noticed by the next step's query; this only keeps the error from crashing.
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  private async lose(error: unknown): Promise<void> {
    const wasLeader = this.epochHeld !== undefined;
    this.epochHeld = undefined;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    if (wasLeader) await this.options.onLost(error);
    else this.options.onError?.(error);
  }

  private async release(): Promise<void> {
    this.epochHeld = undefined;
    const client = this.client;
    this.client = undefined;
    // Ending the session releases the advisory lock with it.
    await client?.end().catch(() => undefined);
  }
}
