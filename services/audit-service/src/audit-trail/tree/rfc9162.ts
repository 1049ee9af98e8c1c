import { createHash } from 'node:crypto';

/**
 * The Merkle tree of RFC 9162 §2.1 (Certificate Transparency 2.0; the same tree as RFC 6962), as the
 * audit log builds and serves it. Pure: the stored nodes come in through a `NodeSource`.
 *
 *   leaf hash  = SHA-256(0x00 || leaf bytes)
 *   node hash  = SHA-256(0x01 || left || right)
 *   empty tree = SHA-256("")
 *
 * A node (level l, index i) is the hash of the complete subtree over leaves [i·2^l, (i+1)·2^l); level 0
 * is the leaf hash. Only complete subtrees are stored: every other hash a proof needs is folded from them.
 */
export type Hash = Buffer;

export const EMPTY_ROOT: Hash = createHash('sha256').digest();

export function leafHash(leaf: Buffer): Hash {
  return createHash('sha256').update(LEAF_PREFIX).update(leaf).digest();
}

export function nodeHash(left: Hash, right: Hash): Hash {
  // While a proof is only being planned (nodesRead), its hashes are placeholders: nothing to hash.
  if (left === PLANNED || right === PLANNED) return PLANNED;
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

const LEAF_PREFIX = Buffer.from([0x00]);
/** The placeholder every stored node is while a proof is planned; compared by identity, never by content. */
const PLANNED: Hash = Buffer.alloc(32);
const NODE_PREFIX = Buffer.from([0x01]);

/** A complete subtree the log stores: (level, index); level 0 is a leaf. */
export interface NodeKey {
  level: number;
  index: number;
}

export interface StoredNode extends NodeKey {
  hash: Hash;
}

/**
 * The right edge of a tree of `size` leaves: the roots of its complete subtrees, one per set bit of
 * `size`, highest level first. It is all an append needs, and the root is its right-to-left fold.
 */
export type Frontier = Hash[];

/**
 * Appends leaves to a tree of `size` leaves with right edge `frontier`: returns the complete subtrees
 * (level ≥ 1) that the new leaves close, and the new right edge. O(1) amortised hashes per leaf.
 */
export function appendLeaves(
  size: number,
  frontier: Frontier,
  leaves: Hash[],
): { nodes: StoredNode[]; frontier: Frontier; size: number } {
  const edge = [...frontier];
  const nodes: StoredNode[] = [];
  let n = size;
  for (const leaf of leaves) {
    let hash = leaf;
    let level = 0;
    let index = n;
    // Each trailing 1 bit of n is a complete left sibling on the edge that this leaf now pairs with.
    while (index % 2 === 1) {
      hash = nodeHash(edge.pop()!, hash);
      level += 1;
      index = (index - 1) / 2;
      nodes.push({ level, index, hash });
    }
    edge.push(hash);
    n += 1;
  }
  return { nodes, frontier: edge, size: n };
}

export function rootOfFrontier(frontier: Frontier): Hash {
  if (frontier.length === 0) return EMPTY_ROOT;
  let root = frontier[frontier.length - 1]!;
  for (let i = frontier.length - 2; i >= 0; i--) root = nodeHash(frontier[i]!, root);
  return root;
}

/** The complete subtrees on the right edge of a tree of `size` leaves, in frontier order. */
export function frontierKeys(size: number): NodeKey[] {
  const keys: NodeKey[] = [];
  let start = 0;
  for (let level = 52; level >= 0; level--) {
    const width = 2 ** level;
    if (size - start >= width) {
      keys.push({ level, index: start / width });
      start += width;
    }
  }
  return size === 0 ? [] : keys;
}

/** Looks up stored complete subtrees; proofs are planned first, so every key is fetched in one query. */
export type NodeSource = (key: NodeKey) => Hash;

/** The k of RFC 9162 §2.1.1: the largest power of two smaller than n (n > 1). */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/** MTH(D[start : start+size]) from the stored complete subtrees (RFC 9162 §2.1.1). */
export function subtreeHash(get: NodeSource, start: number, size: number): Hash {
  if (size < 1) throw new RangeError(`empty subtree at ${start}`);
  if (isPowerOfTwo(size) && start % size === 0)
    return get({ level: Math.round(Math.log2(size)), index: start / size });
  const k = largestPowerOfTwoBelow(size);
  return nodeHash(subtreeHash(get, start, k), subtreeHash(get, start + k, size - k));
}

/**
 * PATH(m, D[n]) of RFC 9162 §2.1.3.1: the audit path of leaf `index` in the tree of `size` leaves.
 * Walked from the root down, one sibling per split, then reversed: the RFC's recursion lists the path
 * leaf first, and building it by spreading each level's list into the next copied it once per level.
 */
export function inclusionPath(get: NodeSource, index: number, size: number): Hash[] {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const path: Hash[] = [];
  let m = index;
  let start = 0;
  let n = size;
  while (n > 1) {
    const k = largestPowerOfTwoBelow(n);
    if (m < k) {
      path.push(subtreeHash(get, start + k, n - k));
      n = k;
    } else {
      path.push(subtreeHash(get, start, k));
      m -= k;
      start += k;
      n -= k;
    }
  }
  return path.reverse();
}

/** PROOF(m, D[n]) of RFC 9162 §2.1.4.1: consistency of the first `first` leaves with `second` (walked as above). */
export function consistencyProof(get: NodeSource, first: number, second: number): Hash[] {
  if (!(first > 0 && first <= second))
    throw new RangeError(`no consistency proof from ${first} to ${second}`);
  const proof: Hash[] = [];
  let m = first;
  let start = 0;
  let n = second;
  // SUBPROOF's flag b: true while the first tree is still the whole left part of every split so far.
  let whole = true;
  while (m !== n) {
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      proof.push(subtreeHash(get, start + k, n - k));
      n = k;
    } else {
      proof.push(subtreeHash(get, start, k));
      m -= k;
      start += k;
      n -= k;
      whole = false;
    }
  }
  if (!whole) proof.push(subtreeHash(get, start, n));
  return proof.reverse();
}

/** The stored nodes `compute` reads: a proof's shape depends only on the sizes, never on the hashes. */
export function nodesRead<T>(compute: (get: NodeSource) => T): NodeKey[] {
  const wanted = new Map<string, NodeKey>();
  compute((key) => {
    wanted.set(nodeId(key), key);
    return PLANNED;
  });
  return [...wanted.values()];
}

/** Runs `compute` over nodes fetched beforehand (by `nodesRead`); a missing one is MissingNodeError. */
export function fromNodes<T>(compute: (get: NodeSource) => T, found: Map<string, Hash>): T {
  return compute((key) => {
    const hash = found.get(nodeId(key));
    if (!hash) throw new MissingNodeError(key);
    return hash;
  });
}

/** Runs `compute` twice: once to learn which stored nodes it reads, then with them fetched in one round trip. */
export async function withStoredNodes<T>(
  compute: (get: NodeSource) => T,
  fetch: (keys: NodeKey[]) => Promise<Map<string, Hash>>,
): Promise<T> {
  return fromNodes(compute, await fetch(nodesRead(compute)));
}

export const nodeId = (key: NodeKey): string => `${key.level}:${key.index}`;

/** A complete subtree a proof needs is not stored: the log was cut short behind the server's back. */
export class MissingNodeError extends Error {
  readonly code = 'AUDIT.LOG_INCOMPLETE';
  constructor(readonly key: NodeKey) {
    super(`the stored log lacks the subtree at level ${key.level}, index ${key.index}`);
  }
}
