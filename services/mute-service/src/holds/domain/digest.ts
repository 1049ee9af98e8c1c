/**
 * What one release of a recipient's held messages contains (D98). Pure: the hold store reads the held rows
 * under the recipient's lock and asks this which go out now and when the rest are due.
 */
export type HeldItem = {
  /** The hold's position in the store: the order the messages were held in, which is the order released. */
  seq: bigint;
  messageId: string;
  recipientId: string;
  /** Epoch ms: the moment the decision said (the next working window). */
  releaseAt: number;
  /** Throttle keys the decision consulted: a released digest counts as one alert under each (D69). */
  throttleKeys: readonly string[];
};

export type ReleasePlan = {
  /** Due at `now`, in hold order: one digest. Empty: nothing to release. */
  release: HeldItem[];
  /** When the next still-held item falls due, or null. */
  nextAt: number | null;
  /** The throttle keys the digest counts one alert under, sorted. */
  throttleKeys: string[];
};

export function planRelease(held: readonly HeldItem[], now: number): ReleasePlan {
  const release: HeldItem[] = [];
  let nextAt: number | null = null;
  for (const h of held) {
    if (h.releaseAt <= now) release.push(h);
    else nextAt = nextAt === null ? h.releaseAt : Math.min(nextAt, h.releaseAt);
  }
  release.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
  const keys = new Set<string>();
  for (const h of release) for (const k of h.throttleKeys) keys.add(k);
  return { release, nextAt, throttleKeys: [...keys].sort() };
}
