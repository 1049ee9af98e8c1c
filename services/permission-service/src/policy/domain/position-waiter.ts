import type { GlobalPosition } from '@tagguard/event-store';
import { encodePosition } from './position';
import { PolicyError } from './policy.errors';

/** How far a fold has come, and waiting until it passes a position (bounded: then UNAVAILABLE). */
export class PositionWaiter {
  private at = -1n;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly what: string) {}

  get position(): bigint {
    return this.at;
  }

  advance(position: GlobalPosition | bigint): void {
    const n = typeof position === 'bigint' ? position : encodePosition(position);
    if (n <= this.at) return;
    this.at = n;
    for (const check of [...this.waiters]) check();
  }

  /** Resolves once the fold has passed `position`; UNAVAILABLE naming `field` after `timeoutMs`. */
  waitFor(position: bigint, timeoutMs: number, field?: string): Promise<void> {
    if (this.at >= position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.at < position) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new PolicyError(
            'PERMISSION.UNAVAILABLE',
            `${this.what} has not reached consistency token ${position} within ${timeoutMs} ms; retry`,
            field,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}
