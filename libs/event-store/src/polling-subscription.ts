import type { EventEmitter } from 'node:events';
import { type GlobalPosition, type RecordedEvent, START } from './envelope';
import type { SubscribeOptions, Subscription } from './event-store.port';

interface PollingOptions extends SubscribeOptions {
  read(after: GlobalPosition, maxCount: number): Promise<RecordedEvent[]>;
  /** Emits "appended" when something may have been written; polling covers what it misses. */
  wake: EventEmitter;
  pollIntervalMs: number;
}

/** Catch-up then live: reads batches after the checkpoint until none is left, then waits for a wake-up. */
export function pollingSubscription(options: PollingOptions): Subscription {
  let stopped = false;
  let interrupt: (() => void) | undefined;
  const batchSize = options.batchSize ?? 500;

  const idle = (): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        options.wake.off('appended', done);
        interrupt = undefined;
        resolve();
      };
      const timer = setTimeout(done, options.pollIntervalMs);
      options.wake.on('appended', done);
      interrupt = done;
    });

  const done = (async () => {
    let position = options.after ?? START;
    let caughtUp = false;
    while (!stopped) {
      const events = await options.read(position, batchSize);
      if (stopped) break;
      if (events.length > 0) {
        await options.onEvents(events);
        position = events[events.length - 1]!.position;
        continue;
      }
      if (!caughtUp) {
        caughtUp = true;
        options.onCaughtUp?.();
      }
      await idle();
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
