import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * A signed tree head (decision D65): the tenant's log id, the time, the size and the root, signed with
 * Ed25519. The signed bytes follow RFC 9162 §4.10's TreeHeadDataV2 (timestamp, tree_size, root_hash,
 * empty extensions) behind the log id, big-endian:
 *
 *   uint8 len || log_id (UTF-8, "tagguard/audit/<tenant>")  — binds the head to one tenant's log
 *   uint64 timestamp (ms since the epoch) || uint64 tree_size
 *   uint8 32 || root_hash (32 bytes) || uint16 0 (no extensions)
 */
export interface TreeHead {
  logId: string;
  timestampMs: number;
  treeSize: number;
  rootHash: Buffer;
}

export interface SignedTreeHead extends TreeHead {
  signature: Buffer;
}

export const logIdOf = (tenantId: string) => `tagguard/audit/${tenantId}`;

export function treeHeadBytes(head: TreeHead): Buffer {
  const logId = Buffer.from(head.logId, 'utf8');
  if (logId.length > 255) throw new RangeError('log id longer than 255 bytes');
  if (head.rootHash.length !== 32) throw new RangeError('root hash must be 32 bytes');
  const numbers = Buffer.alloc(16);
  numbers.writeBigUInt64BE(BigInt(head.timestampMs), 0);
  numbers.writeBigUInt64BE(BigInt(head.treeSize), 8);
  return Buffer.concat([
    Buffer.from([logId.length]),
    logId,
    numbers,
    Buffer.from([32]),
    head.rootHash,
    Buffer.alloc(2),
  ]);
}

export function signTreeHead(head: TreeHead, privateKey: KeyObject): SignedTreeHead {
  return { ...head, signature: sign(null, treeHeadBytes(head), privateKey) };
}

export function verifyTreeHead(head: SignedTreeHead, publicKey: KeyObject | string): boolean {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  try {
    return verify(null, treeHeadBytes(head), key, head.signature);
  } catch {
    return false;
  }
}

/** The key id a verifier can check a public key against: SHA-256 of its SPKI DER, hex. */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

export const privateKeyFromPem = (pem: string) => createPrivateKey(pem);
