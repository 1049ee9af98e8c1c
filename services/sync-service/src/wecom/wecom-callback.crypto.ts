import { createDecipheriv, timingSafeEqual } from 'node:crypto';
import { getSignature } from '@wecom/crypto';

// WeCom's callback scheme (https://developer.work.weixin.qq.com/document/path/90968): msg_signature =
// sha1 of the sorted token, timestamp, nonce and ciphertext; AES-256-CBC with key = base64(EncodingAESKey
// + '='), IV = its first 16 bytes, PKCS#7 to 32; plaintext = 16 random bytes, 4-byte length, msg, receiveid.
// @wecom/crypto (WeCom's own package) signs (and, in the sandbox, encrypts); opening is ours, because its
// decrypt checks only the last padding byte and never the length field (D38).

export class CallbackRejected extends Error {
  constructor(readonly reason: 'signature' | 'decrypt' | 'receiveid' | 'envelope' | 'timestamp') {
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
  const opened = decryptChecked(keys.encodingAesKey, ciphertext);
  if (opened.id !== keys.receiveId) throw new CallbackRejected('receiveid');
  return opened.message;
}

/** AES-256-CBC, then PKCS#7 (block 32, every pad byte checked) and the 4-byte length; any mismatch is `decrypt`. */
function decryptChecked(encodingAesKey: string, ciphertext: string): { message: string; id: string } {
  let plain: Buffer;
  try {
    const key = Buffer.from(`${encodingAesKey}=`, 'base64');
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(ciphertext, 'base64'), decipher.final()]);
  } catch {
    throw new CallbackRejected('decrypt');
  }
  const pad = plain.length > 0 ? plain[plain.length - 1]! : 0;
  if (
    pad < 1 ||
    pad > 32 ||
    pad > plain.length ||
    !plain.subarray(plain.length - pad).every((b) => b === pad)
  )
    throw new CallbackRejected('decrypt');
  const body = plain.subarray(0, plain.length - pad);
  if (body.length < 20) throw new CallbackRejected('decrypt');
  const length = body.readUInt32BE(16);
  if (20 + length > body.length) throw new CallbackRejected('decrypt');
  return {
    message: body.subarray(20, 20 + length).toString('utf8'),
    id: body.subarray(20 + length).toString('utf8'),
  };
}
