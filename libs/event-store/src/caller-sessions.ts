import { comparePositions, type GlobalPosition } from './envelope';
import type { EventStore } from './event-store.port';
import { categoryOf } from './stream-name';

const CAPACITY = 10_000;
const TTL_MS = 5 * 60_000;

/**
 * Read-your-writes without a token (session consistency per caller): the global position of each
 * caller's — (tenant, actor) — last write in this process, so that caller's next read waits until the
 * service's read model has passed it. Another caller never waits on it. Bounded: beyond `capacity` callers the
 * one whose last write is oldest is forgotten, and so is any write older than `ttlMs`. Per process: a
 * read served by another instance, or after a restart, sees the caller's writes only with their token.
 */
export class CallerSessions {
  /** Insertion order is write order: the first entry is the least recently written. */
  private readonly last = new Map<string, { position: GlobalPosition; at: number }>();

  constructor(
    private readonly capacity = CAPACITY,
    private readonly ttlMs = TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  wrote(tenantId: string, actorId: string, position: GlobalPosition): void {
    const key = `${tenantId}\u0000${actorId}`;
    const previous = this.last.get(key);
    // Two concurrent writes of one caller may finish in either order: the session keeps the later one.
    const latest =
      previous && comparePositions(previous.position, position) > 0 ? previous.position : position;
    this.last.delete(key);
    this.last.set(key, { position: latest, at: this.now() });
    if (this.last.size > this.capacity) this.last.delete(this.last.keys().next().value!);
  }

  /** The position a read by this caller must wait for, if it wrote recently in this process. */
  lastWrite(tenantId: string, actorId: string): GlobalPosition | undefined {
    const key = `${tenantId}\u0000${actorId}`;
    const entry = this.last.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.at > this.ttlMs) {
      this.last.delete(key);
      return undefined;
    }
    return entry.position;
  }

  /**
   * The store a service writes through: every append to a stream its read model projects (`viewed`
   * categories) is remembered for the caller its events name. Others (a request key's claim) are not:
   * the read model never passes their positions until its next event, so a read would wait for nothing.
   */
  track<S extends EventStore>(store: S, viewed: readonly string[]): S {
    const append: EventStore['append'] = async (streamId, events, expected) => {
      const result = await store.append(streamId, events, expected);
      const metadata = events[0]?.metadata;
      if (metadata && viewed.includes(categoryOf(streamId)))
        this.wrote(metadata.tenantId, metadata.actorId, result.position);
      return result;
    };
    return new Proxy(store, {
      get: (target, property) => {
        if (property === 'append') return append;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}
