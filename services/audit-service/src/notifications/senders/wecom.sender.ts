import type { AttemptOutcome } from '../domain/retry-schedule';
import type { DeliverySender, OutgoingMessage } from './sender.port';

export type WeComTarget = { corpId: string; agentId: number; toUser: string[]; toParty: string[] };

type Answer = { errcode: number; errmsg: string; [key: string]: unknown };

// errcodes (https://developer.work.weixin.qq.com/document/path/90313): a token to fetch again, or not retried.
const TOKEN_GONE = new Set([40001, 40014, 42001]);
const PERMANENT = new Set([81013, 40056, 41011, 40008, 44004, 45002, 40013]);
const MAX_TEXT_BYTES = 2048;

/** Cuts text to WeCom's 2048-byte limit on a character boundary. */
function clip(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > MAX_TEXT_BYTES) out = out.slice(0, -1);
  return out;
}

/**
 * WeCom application messages (message/send, 90236) from the tenant's own application: gettoken with its
 * secret (cached until expiry), then a text message. Partial success (invaliduser/invalidparty) is
 * delivered with the invalid ones named; 81013 (no valid recipient) is permanent.
 */
export class WeComSender implements DeliverySender<WeComTarget> {
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly apiUrl: string) {}

  async send(message: OutgoingMessage, config: WeComTarget, secret: string): Promise<AttemptOutcome> {
    try {
      let answer = await this.post(config, secret, message);
      if (TOKEN_GONE.has(answer.errcode)) {
        this.tokens.delete(`${config.corpId}/${config.agentId}`);
        answer = await this.post(config, secret, message);
      }
      if (answer.errcode === 0) {
        const invalid = ['invaliduser', 'invalidparty', 'invalidtag']
          .filter((k) => typeof answer[k] === 'string' && answer[k] !== '')
          .map((k) => `${k}=${String(answer[k])}`);
        return { kind: 'delivered', detail: [`msgid ${String(answer['msgid'])}`, ...invalid].join('; ') };
      }
      const error = `WeCom errcode ${answer.errcode}: ${answer.errmsg}`;
      return PERMANENT.has(answer.errcode) ? { kind: 'permanent', error } : { kind: 'transient', error };
    } catch (error) {
      return { kind: 'transient', error: `WeCom: ${(error as Error).message}` };
    }
  }

  private async post(config: WeComTarget, secret: string, message: OutgoingMessage): Promise<Answer> {
    const token = await this.token(config, secret);
    if (typeof token !== 'string') return token;
    return this.call(`/cgi-bin/message/send?access_token=${encodeURIComponent(token)}`, {
      touser: config.toUser.join('|'),
      toparty: config.toParty.join('|'),
      msgtype: 'text',
      agentid: config.agentId,
      text: { content: clip(`${message.subject}\n${message.text}`) },
      // WeCom drops a repeated identical message within the interval: a retry after a lost answer is not shown twice.
      enable_duplicate_check: 1,
      duplicate_check_interval: 1800,
    });
  }

  private async token(config: WeComTarget, secret: string): Promise<string | Answer> {
    const key = `${config.corpId}/${config.agentId}`;
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.token;
    const query = new URLSearchParams({ corpid: config.corpId, corpsecret: secret });
    const answer = await this.call(`/cgi-bin/gettoken?${query.toString()}`);
    if (answer.errcode !== 0) return answer;
    const token = String(answer['access_token']);
    // A minute early: a token never expires between the check and the call.
    this.tokens.set(key, { token, expiresAt: Date.now() + (Number(answer['expires_in']) - 60) * 1000 });
    return token;
  }

  private async call(path: string, body?: unknown): Promise<Answer> {
    const response = await fetch(`${this.apiUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status} from ${path.split('?')[0]}`);
    return (await response.json()) as Answer;
  }
}
