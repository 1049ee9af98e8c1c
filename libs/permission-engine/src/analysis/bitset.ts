/** A fixed-size set of small integers (class ids), for the per-dimension set algebra of rules. */
export class Bitset {
  readonly words: Uint32Array;

  constructor(readonly size: number) {
    this.words = new Uint32Array((size + 31) >>> 5);
  }

  add(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
  }

  has(i: number): boolean {
    return (this.words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  isEmpty(): boolean {
    for (const w of this.words) if (w !== 0) return false;
    return true;
  }

  intersects(other: Bitset): boolean {
    const a = this.words;
    const b = other.words;
    for (let i = 0; i < a.length; i++) if ((a[i]! & b[i]!) !== 0) return true;
    return false;
  }

  /** this ⊆ other */
  subsetOf(other: Bitset): boolean {
    const a = this.words;
    const b = other.words;
    for (let i = 0; i < a.length; i++) if ((a[i]! & ~b[i]!) !== 0) return false;
    return true;
  }

  /** The smallest member of this ∩ other, or -1. */
  firstCommon(other: Bitset): number {
    const a = this.words;
    const b = other.words;
    for (let i = 0; i < a.length; i++) {
      const w = a[i]! & b[i]!;
      if (w !== 0) return (i << 5) + (31 - Math.clz32(w & -w));
    }
    return -1;
  }

  *members(): Generator<number> {
    const a = this.words;
    for (let i = 0; i < a.length; i++) {
      let w = a[i]!;
      while (w !== 0) {
        const low = w & -w;
        yield (i << 5) + (31 - Math.clz32(low));
        w ^= low;
      }
    }
  }
}
