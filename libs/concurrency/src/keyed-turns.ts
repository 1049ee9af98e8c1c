/**
 * Work that takes turns per key in this process: a run starts once the previous run of its key has
 * settled (resolved or failed: one failure does not stop the queue), runs of different keys do not wait
 * for each other, and a key is forgotten when its last run settles.
 */
export class KeyedTurns {
  /** Per key, the last run's settling (never rejects). */
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(work);
    const settled = next.catch(() => undefined);
    this.tails.set(key, settled);
    void settled.then(() => {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    });
    return next;
  }

  /** A run of this key is in progress or waiting its turn. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }
}
