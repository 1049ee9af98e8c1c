const CHUNK_BITS = 6;
const CHUNK = 1 << CHUNK_BITS;
const OFFSET = CHUNK - 1;

type Entry<K, V> = readonly [K, V];

/** Key → position, shared by every map of one line of descent (see `set`). */
interface Positions<K> {
  of: Map<K, number>;
  /** Positions written so far: only a map of exactly this size may add the next one in place. */
  length: number;
}

/**
 * An immutable map in insertion order (like Map: a key set again keeps its place) whose `set` shares
 * almost everything with the map it came from. A write-side state is evolved once per event and every
 * older state stays valid for whoever holds it; copying a whole Map per event made each write to a
 * 10,000-tag catalogue cost O(tags) (docs/decisions.md D40).
 *
 * Entries sit in chunks of 64; `set` copies one chunk and the array of chunks (n / 64 slots). Keys are
 * never removed, so the key → position index is shared and only grows: a map sees only the positions
 * below its size. A second map derived from the same parent with another new key (a decision that was
 * not appended, then the events another writer appended) copies the index once.
 */
export class PersistentMap<K, V> implements Iterable<[K, V]> {
  readonly #chunks: readonly (readonly Entry<K, V>[])[];
  readonly #positions: Positions<K>;
  readonly #size: number;

  private constructor(chunks: readonly (readonly Entry<K, V>[])[], positions: Positions<K>, size: number) {
    this.#chunks = chunks;
    this.#positions = positions;
    this.#size = size;
  }

  static empty<K, V>(): PersistentMap<K, V> {
    return new PersistentMap<K, V>([], { of: new Map(), length: 0 }, 0);
  }

  /** In the order given; a repeated key keeps its first place and takes its last value (as `new Map`). */
  static from<K, V>(entries: Iterable<readonly [K, V]>): PersistentMap<K, V> {
    const of = new Map<K, number>();
    const flat: Entry<K, V>[] = [];
    for (const [key, value] of entries) {
      const at = of.get(key);
      if (at === undefined) {
        of.set(key, flat.length);
        flat.push([key, value]);
      } else flat[at] = [key, value];
    }
    const chunks: Entry<K, V>[][] = [];
    for (let i = 0; i < flat.length; i += CHUNK) chunks.push(flat.slice(i, i + CHUNK));
    return new PersistentMap(chunks, { of, length: flat.length }, flat.length);
  }

  get size(): number {
    return this.#size;
  }

  /** Where the key sits in iteration order (undefined: not in this map). */
  indexOf(key: K): number | undefined {
    const at = this.#positions.of.get(key);
    return at !== undefined && at < this.#size ? at : undefined;
  }

  get(key: K): V | undefined {
    const at = this.indexOf(key);
    return at === undefined ? undefined : this.#chunks[at >> CHUNK_BITS]![at & OFFSET]![1];
  }

  has(key: K): boolean {
    return this.indexOf(key) !== undefined;
  }

  set(key: K, value: V): PersistentMap<K, V> {
    const at = this.indexOf(key);
    const chunks = this.#chunks.slice();
    if (at !== undefined) {
      const chunk = chunks[at >> CHUNK_BITS]!.slice();
      chunk[at & OFFSET] = [key, value];
      chunks[at >> CHUNK_BITS] = chunk;
      return new PersistentMap(chunks, this.#positions, this.#size);
    }
    const size = this.#size;
    let positions = this.#positions;
    if (positions.length === size) {
      positions.of.set(key, size);
      positions.length = size + 1;
    } else if (positions.of.get(key) !== size) {
      // Another map from the same parent took this position for another key: this line gets its own index.
      const of = new Map<K, number>();
      for (const [k, p] of positions.of) if (p < size) of.set(k, p);
      of.set(key, size);
      positions = { of, length: size + 1 };
    }
    const last = size & OFFSET ? chunks.pop()!.slice() : [];
    last.push([key, value]);
    chunks.push(last);
    return new PersistentMap(chunks, positions, size + 1);
  }

  // Plain iterators, not generators: a scan of 10,000 nodes through a generator cost 6× a Map's.
  entries(): IterableIterator<[K, V]> {
    return this.#iterate((e) => [e[0], e[1]]);
  }

  keys(): IterableIterator<K> {
    return this.#iterate((e) => e[0]);
  }

  values(): IterableIterator<V> {
    return this.#iterate((e) => e[1]);
  }

  forEach(callback: (value: V, key: K) => void): void {
    for (const chunk of this.#chunks) for (const [k, v] of chunk) callback(v, k);
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  #iterate<T>(pick: (entry: Entry<K, V>) => T): IterableIterator<T> {
    const chunks = this.#chunks;
    let c = 0;
    let i = 0;
    const iterator: IterableIterator<T> = {
      next(): IteratorResult<T> {
        while (c < chunks.length) {
          const chunk = chunks[c]!;
          if (i < chunk.length) return { value: pick(chunk[i++]!), done: false };
          c++;
          i = 0;
        }
        return { value: undefined, done: true };
      },
      [Symbol.iterator]: () => iterator,
    };
    return iterator;
  }
}
