import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * An independent verifier, written from the verification algorithms of RFC 9162 §2.1.3.2 (inclusion)
 * and §2.1.4.2 (consistency) and nothing else: it shares no code with the prover (rfc9162.ts), so the
 * property test that checks one against the other proves both. The offline CLI and clients use it too.
 */
export function hashLeaf(leaf: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.from([0]))
    .update(leaf)
    .digest();
}

function hashChildren(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.from([1]))
    .update(left)
    .update(right)
    .digest();
}

const same = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

/** RFC 9162 §2.1.3.2: does `path` prove `leafHash` at `leafIndex` in the tree (`treeSize`, `root`)? */
export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leafHashValue: Buffer,
  path: Buffer[],
  root: Buffer,
): boolean {
  // 1. If leaf_index is greater than or equal to tree_size, then fail.
  if (leafIndex >= treeSize || leafIndex < 0) return false;
  // 2. Set fn to leaf_index and sn to tree_size - 1.
  let fn = BigInt(leafIndex);
  let sn = BigInt(treeSize - 1);
  // 3. Set r to hash.
  let r = leafHashValue;
  // 4. For each value p in the inclusion_path array:
  for (const p of path) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0n) return false;
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if ((fn & 1n) === 1n || fn === sn) {
      // i. Set r to HASH(0x01 || p || r).
      r = hashChildren(p, r);
      // ii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or fn is 0.
      if ((fn & 1n) === 0n) while ((fn & 1n) === 0n && fn !== 0n) [fn, sn] = [fn >> 1n, sn >> 1n];
    } else {
      // Otherwise: Set r to HASH(0x01 || r || p).
      r = hashChildren(r, p);
    }
    // c. Finally, right-shift both fn and sn one time.
    [fn, sn] = [fn >> 1n, sn >> 1n];
  }
  // 5. Compare sn to 0. Compare r against the root_hash. If sn is equal to 0 and r and the root_hash are equal, then the log has proven the inclusion of hash.
  return sn === 0n && same(r, root);
}

/** RFC 9162 §2.1.4.2: does `proof` show that (`first`, `firstRoot`) is a prefix of (`second`, `secondRoot`)? */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Buffer,
  secondRoot: Buffer,
  proof: Buffer[],
): boolean {
  if (first < 1 || first > second) return false;
  // (first == second: the proof is empty and the roots must be equal.)
  if (first === second) return proof.length === 0 && same(firstRoot, secondRoot);
  // 1. If consistency_path is an empty array, stop and fail the proof verification.
  if (proof.length === 0) return false;
  // 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
  const path = isExactPowerOfTwo(BigInt(first)) ? [firstRoot, ...proof] : [...proof];
  // 3. Set fn to first - 1 and sn to second - 1.
  let fn = BigInt(first - 1);
  let sn = BigInt(second - 1);
  // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
  while ((fn & 1n) === 1n) [fn, sn] = [fn >> 1n, sn >> 1n];
  // 5. Set both fr and sr to the first value in the consistency_path array.
  let fr = path[0]!;
  let sr = path[0]!;
  // 6. For each subsequent value c in the consistency_path array:
  for (const c of path.slice(1)) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0n) return false;
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if ((fn & 1n) === 1n || fn === sn) {
      // i. Set fr to HASH(0x01 || c || fr). Set sr to HASH(0x01 || c || sr).
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      // ii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or fn is 0.
      if ((fn & 1n) === 0n) while ((fn & 1n) === 0n && fn !== 0n) [fn, sn] = [fn >> 1n, sn >> 1n];
    } else {
      // Otherwise: Set sr to HASH(0x01 || sr || c).
      sr = hashChildren(sr, c);
    }
    // c. Finally, right-shift both fn and sn one time.
    [fn, sn] = [fn >> 1n, sn >> 1n];
  }
  // 7. After completing iterating through the consistency_path array as described above, verify that the
  //    fr calculated is equal to the first_hash supplied, that the sr calculated is equal to the
  //    second_hash supplied, and that sn is 0.
  return same(fr, firstRoot) && same(sr, secondRoot) && sn === 0n;
}

const isExactPowerOfTwo = (n: bigint) => n > 0n && (n & (n - 1n)) === 0n;

/** MTH(D[n]) of RFC 9162 §2.1.1, recomputed from the leaf hashes (the definition, for offline checks). */
export function merkleTreeHash(leafHashes: Buffer[]): Buffer {
  const mth = (from: number, to: number): Buffer => {
    const n = to - from;
    if (n === 0) return createHash('sha256').digest();
    if (n === 1) return leafHashes[from]!;
    let k = 1;
    while (k * 2 < n) k *= 2;
    return hashChildren(mth(from, from + k), mth(from + k, to));
  };
  return mth(0, leafHashes.length);
}
