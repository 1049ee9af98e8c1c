import {
  comparePositions,
  START,
  type EventFilter,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
  type Subscription,
} from '@tagguard/event-store';
import { errorMessage, type ComponentHandle, type ComponentLag } from '@tagguard/telemetry';
import type { CheckpointStore } from './checkpoint-store';
import type { PostgresParkedEvents } from './parked-events';

export interface RetryPolicy {
  /** Attempts of one batch (and then of each of its events alone) before giving up on it. */
  maxAttempts: number;
  /** First backoff; doubles each attempt up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, backoffMs: 100, maxBackoffMs: 10_000 };

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

/**
 * The database (or the connection to it) is unavailable, rather than the event unapplicable: SQLSTATE
 * class 08 (connection exception), 57P01–57P03 (shutdown, cannot connect now), 53300 (too many
 * connections), a socket error, or pg's own messages for a dropped or unobtainable connection.
 */
export function isUnavailableError(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string')
    if (
      code.startsWith('08') ||
      /^57P0[1-3]$/.test(code) ||
      code === '53300' ||
      CONNECTION_ERROR_CODES.has(code)
    )
      return true;
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
      message,
    )
  );
}

export interface CheckpointedSubscriberOptions {
  /** Checkpoint and component name, e.g. "tag-service.catalog-view". */
  name: string;
  store: EventStore;
  filter: EventFilter;
  checkpoints: CheckpointStore;
  batchSize?: number;
  /** Applies a batch and saves the checkpoint (in its transaction, or after its effects). */
  handle(events: RecordedEvent[]): Promise<void>;
  /** Where an event that keeps failing on its own is parked; without it the subscriber stops as failed. */
  parking?: PostgresParkedEvents;
  component?: ComponentHandle;
  retry?: Partial<RetryPolicy>;
  /** Failures no retry cures, ending the subscriber at once (a lost lease: FencedError). */
  isFatal?(error: unknown): boolean;
  /** Outages, retried for as long as they last and never counted towards parking (default: isUnavailableError). */
  isUnavailable?(error: unknown): boolean;
  /** The subscriber ended on a fatal error or gave up (it reports `failed` itself unless this is given). */
  onEnded?(error: unknown): void;
  /** After a batch was handled or an event parked. */
  onAdvanced?(position: GlobalPosition): void;
}

/** What a host gives a component built on a CheckpointedSubscriber (health, parking, fencing). */
export type SubscriberRuntime = Pick<
  CheckpointedSubscriberOptions,
  'component' | 'parking' | 'retry' | 'isFatal' | 'onEnded'
>;

class Stopped extends Error {}

/**
 * A component fed by the event store from a checkpoint that never stops silently: a failing batch is
 * retried with backoff; after `maxAttempts` its events are retried one by one, and an event that still
 * fails alone is parked with its reason (or, without parking, the subscriber stops as `failed`). Store
 * outages are retried for as long as they last. Every step is reported to its component handle.
 */
export class CheckpointedSubscriber {
  private subscription?: Subscription;
  private position?: GlobalPosition;
  private stopped = true;
  private wake?: () => void;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: CheckpointedSubscriberOptions) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  get running(): boolean {
    return !this.stopped;
  }

  /** The last position handled (or parked). */
  get checkpoint(): GlobalPosition | undefined {
    return this.position;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.options.component?.set('starting');
    this.position = await this.options.checkpoints.load(this.options.name);
    this.subscribe(0);
    this.options.component?.set('running');
  }

  /**
   * From the last position handled. A subscription that ends by itself without a handler failure (a
   * store whose live stream broke, e.g. KurrentDB's) is opened again after a backoff.
   */
  private subscribe(restarts: number): void {
    let handlerFailure: unknown;
    const subscription = this.options.store.subscribe({
      ...(this.position ? { after: this.position } : {}),
      filter: this.options.filter,
      ...(this.options.batchSize ? { batchSize: this.options.batchSize } : {}),
      onEvents: (events) =>
        this.deliver(events).catch((error: unknown) => {
          handlerFailure = error;
          throw error;
        }),
      onRetry: (error, attempt, delayMs) => this.options.component?.retrying(error, attempt, delayMs),
      onRecovered: () => this.options.component?.set('running'),
      // Reopened and caught up again: running, even if no new event comes to prove it.
      onCaughtUp: () => {
        if (restarts > 0 && this.options.component?.status().state === 'retrying')
          this.options.component.set('running');
      },
    });
    this.subscription = subscription;
    subscription.done.then(
      () => undefined,
      (error: unknown) => {
        if (this.stopped || error instanceof Stopped) return;
        if (error !== handlerFailure && !this.options.isFatal?.(error)) {
          const delayMs = Math.min(this.retry.maxBackoffMs, this.retry.backoffMs * 2 ** restarts);
          this.options.component?.retrying(error, restarts + 1, delayMs);
          const timer = setTimeout(() => {
            if (!this.stopped) this.subscribe(restarts + 1);
          }, delayMs);
          this.wake = () => clearTimeout(timer);
          return;
        }
        this.stopped = true;
        if (this.options.onEnded) this.options.onEnded(error);
        else this.options.component?.set('failed', error);
      },
    );
  }

  async stop(): Promise<void> {
    const wasRunning = !this.stopped;
    this.stopped = true;
    this.wake?.();
    await this.subscription?.stop();
    this.subscription = undefined;
    if (wasRunning) this.options.component?.set('stopped');
  }

  /** Events after the checkpoint (within the filter) and the age of the oldest; undefined while stopped. */
  async lag(now = new Date()): Promise<ComponentLag | undefined> {
    if (this.stopped) return undefined;
    const after = this.position ?? START;
    const { store, filter } = this.options;
    const [next] = await store.readAll({ after, filter, maxCount: 1 });
    if (!next) return { events: 0, seconds: 0 };
    const events = store.count
      ? await store.count({ after, filter })
      : (await store.readAll({ after, filter, maxCount: 100_000 })).length;
    return { events, seconds: Math.max(0, (now.getTime() - next.recordedAt.getTime()) / 1000) };
  }

  private async deliver(events: RecordedEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.handle(events);
        this.advance(events[events.length - 1]!.position);
        if (attempt > 1 || this.options.component?.status().state === 'retrying')
          this.options.component?.set('running');
        return;
      } catch (error) {
        if (this.stopped) throw new Stopped();
        if (this.options.isFatal?.(error)) throw error;
        // An outage says nothing about the event: parking it when the database comes back would skip a
        // good event, so only failures while the database answers count towards parking.
        if ((this.options.isUnavailable ?? isUnavailableError)(error)) {
          await this.backoff(error, attempt);
          continue;
        }
        if (attempt >= this.retry.maxAttempts) {
          if (events.length > 1) {
            // Which event fails? Each alone, in order; the ones that work are not held back by it.
            for (const event of events) await this.deliver([event]);
            return;
          }
          return this.park(events[0]!, error, attempt);
        }
        await this.backoff(error, attempt);
      }
    }
  }

  private async park(event: RecordedEvent, error: unknown, attempts: number): Promise<void> {
    const { parking, component, name } = this.options;
    if (!parking) throw error;
    const reason = errorMessage(error);
    // Parking is a write too: while it fails (the database is down) the event is neither lost nor parked,
    // and once the database is back the event is tried again first, so an outage parks nothing.
    for (let attempt = 1; ; attempt++) {
      try {
        await parking.park(name, event, reason, attempts);
        await this.options.checkpoints.save(name, event.position);
        break;
      } catch (parkError) {
        if (this.stopped) throw new Stopped();
        if (this.options.isFatal?.(parkError)) throw parkError;
        await this.backoff(parkError, attempt);
        try {
          await this.options.handle([event]);
          this.advance(event.position);
          component?.set('running');
          return;
        } catch (again) {
          if (this.options.isFatal?.(again)) throw again;
        }
      }
    }
    component?.parked(`${event.type} ${event.id} (${event.streamId}@${event.revision})`, reason);
    this.advance(event.position);
  }

  private advance(position: GlobalPosition): void {
    if (!this.position || comparePositions(position, this.position) > 0) this.position = position;
    this.options.onAdvanced?.(position);
  }

  private async backoff(error: unknown, attempt: number): Promise<void> {
    const delayMs = Math.min(this.retry.maxBackoffMs, this.retry.backoffMs * 2 ** (attempt - 1));
    this.options.component?.retrying(error, attempt, delayMs);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delayMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
    if (this.stopped) throw new Stopped();
  }
}
