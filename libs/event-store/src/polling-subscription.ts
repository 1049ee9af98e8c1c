import type { EventEmitter } from 'node:events';
import { type GlobalPosition, type RecordedEvent, START } from './envelope';
import type { SubscribeOptions, Subscription } from './event-store.port';

interface PollingOptions extends SubscribeOptions {
  read(after: GlobalPosition, maxCount: number): Promise<RecordedEvent[]>;
  /** Emits "appended" when something may have been written; polling covers what it misses. */
  wake: EventEmitter;
  pollIntervalMs: number;
}

/** Backoff after the n-th failed read in a row: doubling from 100 ms, at most 10 s. */
export function readBackoffMs(attempt: number, firstMs = 100, maxMs = 10_000): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(attempt - 1, 20));
}

/**
 * Catch-up then live: reads batches after the checkpoint until none is left, then waits for a wake-up.
 * A failed read (the store is down, a connection dropped) is retried with backoff, never the end of the
 * subscription; a handler failure ends it (the handler's owner decides about retrying and parking).
 * While a full batch is handled the next one is already read, so catch-up reads and writes overlap;
 * the handler still sees each batch's outcome before the next is delivered.
 */
export function pollingSubscription(options: PollingOptions): Subscription {
  let stopped = false;
  let interrupt: (() => void) | undefined;
  const batchSize = options.batchSize ?? 500;

  const idle = (ms: number, onWake = true): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        options.wake.off('appended', done);
        interrupt = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (onWake) options.wake.on('appended', done);
      interrupt = done;
    });

  const done = (async () => {
    let position = options.after ?? START;
    let caughtUp = false;
    let failedReads = 0;
    // The next batch, read while the handler works on a full one (catch-up); dropped if the handler fails.
    let prefetched: Promise<RecordedEvent[]> | undefined;
    while (!stopped) {
      let events: RecordedEvent[];
      try {
        const next = prefetched ?? options.read(position, batchSize);
        prefetched = undefined;
        events = await next;
      } catch (error) {
        if (stopped) break;
        const delayMs = readBackoffMs(++failedReads);
        options.onRetry?.(error, failedReads, delayMs);
        await idle(delayMs, false);
        continue;
      }
      if (failedReads > 0) {
        failedReads = 0;
        options.onRecovered?.();
      }
      if (stopped) break;
      if (events.length > 0) {
        const last = events[events.length - 1]!.position;
        if (events.length === batchSize) {
          prefetched = options.read(last, batchSize);
          prefetched.catch(() => undefined);
        }
        await options.onEvents(events);
        position = last;
        continue;
      }
      if (!caughtUp) {
        caughtUp = true;
        options.onCaughtUp?.();
      }
      await idle(options.pollIntervalMs);
    }
  })();
  done.catch((error: unknown) => options.onError?.(error));

  return {
    done,
    async stop() {
      stopped = true;
      interrupt?.();
      await done.catch(() => undefined);
    },
  };
}
