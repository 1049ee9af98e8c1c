import { timingSafeEqual } from 'node:crypto';
import { decrypt, getSignature } from '@wecom/crypto';

// WeCom's callback scheme (https://developer.work.weixin.qq.com/document/path/90968): msg_signature =
// sha1 of the sorted token, timestamp, nonce and ciphertext; AES-256-CBC with key = base64(EncodingAESKey
// + '='), IV = its first 16 bytes, PKCS#7 to 32; plaintext = 16 random bytes, 4-byte length, msg, receiveid.
// @wecom/crypto (WeCom's own package) does the primitives; this adds what it leaves to its caller.

export class CallbackRejected extends Error {
  constructor(readonly reason: 'signature' | 'decrypt' | 'receiveid' | 'envelope') {
    super(`WeCom callback rejected: ${reason}`);
    this.name = 'CallbackRejected';
  }
}

export type CallbackKeys = { token: string; encodingAesKey: string; receiveId: string };

export function verifySignature(
  keys: CallbackKeys,
  msgSignature: string,
  timestamp: string,
  nonce: string,
  ciphertext: string,
): boolean {
  const expected = Buffer.from(getSignature(keys.token, timestamp, nonce, ciphertext));
  const given = Buffer.from(msgSignature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Checks the signature, decrypts, and checks the receiveid is our corp (the package leaves that to us). */
export function openCallback(
  keys: CallbackKeys,
  query: { msgSignature: string; timestamp: string; nonce: string },
  ciphertext: string,
): string {
  if (!verifySignature(keys, query.msgSignature, query.timestamp, query.nonce, ciphertext))
    throw new CallbackRejected('signature');
  let opened: { message: string; id: string };
  try {
    opened = decrypt(keys.encodingAesKey, ciphertext);
  } catch {
    throw new CallbackRejected('decrypt');
  }
  if (opened.id !== keys.receiveId) throw new CallbackRejected('receiveid');
  return opened.message;
}
