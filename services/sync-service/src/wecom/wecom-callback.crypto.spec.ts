import { createCipheriv, randomBytes } from 'node:crypto';
import { encrypt, getSignature } from '@wecom/crypto';
import { CallbackRejected, openCallback, verifySignature } from './wecom-callback.crypto';

// Known answer: the URL-verification example of WeCom's official sample (weworkapi_python Sample.py,
// for 加解密方案说明 https://developer.work.weixin.qq.com/document/path/90968): this token, key and corp,
// with this echostr, sign to this msg_signature and decrypt to this plaintext.
const SAMPLE = {
  token: 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo',
  encodingAesKey: '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt',
  receiveId: 'ww1436e0e65a779aee',
  msgSignature: '012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb',
  timestamp: '1476416373',
  nonce: '47744683',
  echostr: 'fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==',
  plaintext: '1288432023552776189',
};
const query = { msgSignature: SAMPLE.msgSignature, timestamp: SAMPLE.timestamp, nonce: SAMPLE.nonce };

describe('WeCom callback crypto', () => {
  it("given WeCom's published example, when opened, then the signature verifies and the echostr decrypts", () => {
    expect(verifySignature(SAMPLE, SAMPLE.msgSignature, SAMPLE.timestamp, SAMPLE.nonce, SAMPLE.echostr)).toBe(
      true,
    );
    expect(openCallback(SAMPLE, query, SAMPLE.echostr)).toBe(SAMPLE.plaintext);
  });

  it('given one changed character of the signature, timestamp or ciphertext, then it is refused as signature', () => {
    const flip = (s: string) => (s[0] === 'a' ? 'b' : 'a') + s.slice(1);
    for (const bad of [
      { ...query, msgSignature: flip(query.msgSignature) },
      { ...query, timestamp: '1476416374' },
      { ...query, msgSignature: '' },
    ])
      expect(() => openCallback(SAMPLE, bad, SAMPLE.echostr)).toThrow(new CallbackRejected('signature'));
    expect(() => openCallback(SAMPLE, query, flip(SAMPLE.echostr))).toThrow(
      new CallbackRejected('signature'),
    );
  });

  it('given a message sealed for another corp (right token and key), then it is refused as receiveid', () => {
    const ciphertext = encrypt(SAMPLE.encodingAesKey, 'hello', 'wwsomeoneelse');
    const signature = getSignature(SAMPLE.token, '1', '2', ciphertext);
    expect(() =>
      openCallback(SAMPLE, { msgSignature: signature, timestamp: '1', nonce: '2' }, ciphertext),
    ).toThrow(new CallbackRejected('receiveid'));
  });

  it('given a signed ciphertext that is not AES output, then it is refused as decrypt', () => {
    const ciphertext = Buffer.from('not a block multiple').toString('base64');
    const signature = getSignature(SAMPLE.token, '1', '2', ciphertext);
    expect(() =>
      openCallback(SAMPLE, { msgSignature: signature, timestamp: '1', nonce: '2' }, ciphertext),
    ).toThrow(new CallbackRejected('decrypt'));
  });

  // @wecom/crypto strips as many bytes as the last one says without looking at the others: this one it opens.
  it('given a signed ciphertext whose PKCS#7 padding is wrong but whose last byte is plausible, then it is refused as decrypt', () => {
    const key = Buffer.from(`${SAMPLE.encodingAesKey}=`, 'base64');
    let message = 'hello';
    const content = () =>
      Buffer.concat([randomBytes(16), Buffer.alloc(4), Buffer.from(message), Buffer.from(SAMPLE.receiveId)]);
    while (32 - (content().length % 32) < 3) message += '!';
    const plain = content();
    plain.writeUInt32BE(Buffer.byteLength(message), 16);
    const n = 32 - (plain.length % 32);
    const padding = Buffer.alloc(n, n);
    padding[0] = n + 1; // a byte that PKCS#7 says must equal n
    const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
    cipher.setAutoPadding(false);
    const ciphertext = Buffer.concat([
      cipher.update(Buffer.concat([plain, padding])),
      cipher.final(),
    ]).toString('base64');
    const signature = getSignature(SAMPLE.token, '1', '2', ciphertext);
    expect(() =>
      openCallback(SAMPLE, { msgSignature: signature, timestamp: '1', nonce: '2' }, ciphertext),
    ).toThrow(new CallbackRejected('decrypt'));
  });
});
