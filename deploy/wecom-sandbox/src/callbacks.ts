import { randomBytes } from 'node:crypto';
import { encrypt, getSignature } from '@wecom/crypto';

// WeCom's callback scheme (https://developer.work.weixin.qq.com/document/path/90968, 加解密方案说明):
// the event XML is AES-256-CBC encrypted with the EncodingAESKey (16 random bytes + 4-byte length + msg +
// receiveid), wrapped in an <xml><ToUserName/><AgentID/><Encrypt/></xml> envelope and POSTed to the
// callback URL with msg_signature = sha1(sort(token, timestamp, nonce, Encrypt)), timestamp and nonce.

export type CallbackTarget = { url: string; token: string; encodingAesKey: string };

export type CallbackDelivery = {
  event: string;
  changeType: string;
  xml: string;
  ok: boolean;
  status: number | null;
  attempts: number;
  error?: string;
};

const cdata = (value: string): string => `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;

/** The plaintext event XML: text fields in CDATA, numeric fields bare, as WeCom's examples show. */
export function eventXml(
  corpId: string,
  event: string,
  changeType: string,
  fields: Record<string, string | number>,
  createTime = Math.floor(Date.now() / 1000),
): string {
  const body = Object.entries(fields)
    .map(([k, v]) => (typeof v === 'number' ? `<${k}>${v}</${k}>` : `<${k}>${cdata(v)}</${k}>`))
    .join('');
  return (
    `<xml><ToUserName>${cdata(corpId)}</ToUserName><FromUserName>${cdata('sys')}</FromUserName>` +
    `<CreateTime>${createTime}</CreateTime><MsgType>${cdata('event')}</MsgType>` +
    `<Event>${cdata(event)}</Event><ChangeType>${cdata(changeType)}</ChangeType>${body}</xml>`
  );
}

export type SignedEnvelope = { body: string; msgSignature: string; timestamp: string; nonce: string };

export function sealEnvelope(
  target: CallbackTarget,
  corpId: string,
  agentId: number,
  xml: string,
): SignedEnvelope {
  const ciphertext = encrypt(target.encodingAesKey, xml, corpId);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(randomBytes(4).readUInt32BE(0));
  const msgSignature = getSignature(target.token, timestamp, nonce, ciphertext);
  const body =
    `<xml><ToUserName>${cdata(corpId)}</ToUserName><AgentID>${cdata(String(agentId))}</AgentID>` +
    `<Encrypt>${cdata(ciphertext)}</Encrypt></xml>`;
  return { body, msgSignature, timestamp, nonce };
}

const withQuery = (url: string, query: Record<string, string>): string => {
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
};

/** WeCom waits 5 s for an answer and tries three times in all; so does the sandbox. */
export async function deliver(
  target: CallbackTarget,
  corpId: string,
  agentId: number,
  event: string,
  changeType: string,
  xml: string,
  attemptsAllowed = 3,
): Promise<CallbackDelivery> {
  const envelope = sealEnvelope(target, corpId, agentId, xml);
  const url = withQuery(target.url, {
    msg_signature: envelope.msgSignature,
    timestamp: envelope.timestamp,
    nonce: envelope.nonce,
  });
  let last: { status: number | null; error?: string } = { status: null };
  for (let attempt = 1; attempt <= attemptsAllowed; attempt++) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: envelope.body,
        signal: AbortSignal.timeout(5_000),
      });
      await response.arrayBuffer();
      if (response.ok)
        return { event, changeType, xml, ok: true, status: response.status, attempts: attempt };
      last = { status: response.status };
    } catch (error) {
      last = { status: null, error: (error as Error).message };
    }
  }
  return { event, changeType, xml, ok: false, attempts: attemptsAllowed, ...last };
}

/** The URL check WeCom does when an administrator saves the callback settings: GET with an encrypted echostr. */
export async function verifyCallbackUrl(
  target: CallbackTarget,
  corpId: string,
): Promise<{ ok: boolean; status: number | null; echoed: string }> {
  const plain = String(randomBytes(8).readBigUInt64BE(0));
  const echostr = encrypt(target.encodingAesKey, plain, corpId);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(randomBytes(4).readUInt32BE(0));
  const url = withQuery(target.url, {
    msg_signature: getSignature(target.token, timestamp, nonce, echostr),
    timestamp,
    nonce,
    echostr,
  });
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    const echoed = await response.text();
    return { ok: response.ok && echoed === plain, status: response.status, echoed };
  } catch {
    return { ok: false, status: null, echoed: '' };
  }
}
