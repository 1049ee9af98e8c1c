/** How a verified callback is to be taken: new, a copy of one already handled, or outside the time window. */
export type Admission = 'fresh' | 'replay' | 'stale';

/**
 * Admits each verified callback once. WeCom signs the timestamp with the body, so a callback older (or
 * newer) than `windowSeconds` (±5 min by default) is refused; within the window its msg_signature —
 * over token, timestamp, nonce and ciphertext, so one per callback — is remembered, and a second copy is
 * a replay. The memory is bounded: entries leave when their timestamp leaves the window, and beyond
 * `maxEntries` the oldest goes first (a replay of that one costs a harmless re-read).
 */
export class CallbackReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowSeconds = 300,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  admit(timestamp: string, msgSignature: string): Admission {
    const now = this.now();
    const sentAt = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) * 1000 : Number.NaN;
    if (!(Math.abs(now - sentAt) <= this.windowSeconds * 1000)) return 'stale';
    for (const [key, expires] of this.seen) {
      if (expires > now) break;
      this.seen.delete(key);
    }
    if (this.seen.has(msgSignature)) return 'replay';
    if (this.seen.size >= this.maxEntries) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(msgSignature, sentAt + this.windowSeconds * 1000);
    return 'fresh';
  }
}
