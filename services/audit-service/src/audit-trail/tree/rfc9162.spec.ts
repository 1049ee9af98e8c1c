import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import {
  appendLeaves,
  consistencyProof,
  frontierKeys,
  inclusionPath,
  leafHash,
  nodeId,
  rootOfFrontier,
  type Hash,
  type NodeSource,
  type StoredNode,
} from './rfc9162';
import { hashLeaf, merkleTreeHash, verifyConsistency, verifyInclusion } from './rfc9162.verify';

/** Builds a log of `size` leaves the way ingest does (in random batches) and serves its stored nodes. */
function buildLog(size: number, batches: number[]) {
  const leaves = Array.from({ length: size }, () => leafHash(randomBytes(12)));
  const stored = new Map<string, Hash>(leaves.map((h, i) => [nodeId({ level: 0, index: i }), h]));
  let tree = { size: 0, frontier: [] as Hash[] };
  let at = 0;
  for (let b = 0; at < size; b++) {
    const take = Math.min(batches[b % batches.length]!, size - at);
    const { nodes, frontier, size: n } = appendLeaves(tree.size, tree.frontier, leaves.slice(at, at + take));
    nodes.forEach((node: StoredNode) => stored.set(nodeId(node), node.hash));
    tree = { size: n, frontier };
    at += take;
  }
  const get: NodeSource = (key) => {
    const hash = stored.get(nodeId(key));
    if (!hash) throw new Error(`not stored: ${nodeId(key)}`);
    return hash;
  };
  return { leaves, get, tree };
}

describe('the audit log tree against RFC 9162 / RFC 6962 (independent verifier)', () => {
  it('hashes leaves and nodes with the RFC prefixes, and the empty tree is SHA-256 of nothing', () => {
    // RFC 6962 test vectors (certificate-transparency reference): empty tree, and the leaf of "" .
    expect(merkleTreeHash([]).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    expect(leafHash(Buffer.from('abc'))).toEqual(hashLeaf(Buffer.from('abc')));
  });

  it('given random sizes and batchings, every root, inclusion proof and consistency proof verifies', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 140 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
        (size, batches) => {
          const { leaves, get, tree } = buildLog(size, batches);
          const root = merkleTreeHash(leaves);
          expect(rootOfFrontier(tree.frontier)).toEqual(root);
          expect(frontierKeys(size).map(get)).toEqual(tree.frontier);
          // Every tree size m ≤ size is a tree head the log may have signed.
          for (let m = 1; m <= size; m++) {
            const rootM = merkleTreeHash(leaves.slice(0, m));
            // Every leaf of the full tree; a spread of leaves (both edges included) for the others.
            const step = m === size ? 1 : Math.max(1, Math.floor(m / 7));
            for (let i = 0; i < m; i = i + step > m - 1 && i < m - 1 ? m - 1 : i + step) {
              const path = inclusionPath(get, i, m);
              expect(verifyInclusion(i, m, leaves[i]!, path, rootM)).toBe(true);
            }
            const proof = consistencyProof(get, m, size);
            expect(verifyConsistency(m, size, rootM, root, proof)).toBe(true);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('rejects a proof for the wrong leaf, a bent path, and a first tree head that is not a prefix', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 200 }), fc.nat(), fc.nat(), (size, a, b) => {
        const { leaves, get } = buildLog(size, [7]);
        const root = merkleTreeHash(leaves);
        const i = a % size;
        const path = inclusionPath(get, i, size);
        const other = (i + 1) % size;
        expect(verifyInclusion(i, size, leaves[other]!, path, root)).toBe(false);
        if (path.length > 0) {
          const bent = path.map((p, k) => (k === b % path.length ? leafHash(p) : p));
          expect(verifyInclusion(i, size, leaves[i]!, bent, root)).toBe(false);
        }
        const m = 1 + (b % (size - 1));
        const forged = merkleTreeHash([leafHash(Buffer.from('x')), ...leaves.slice(1, m)]);
        expect(verifyConsistency(m, size, forged, root, consistencyProof(get, m, size))).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});
