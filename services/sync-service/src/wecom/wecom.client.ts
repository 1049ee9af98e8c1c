// A WeCom server-API client for one corp: caches the access_token, refreshes it once when WeCom says it is
// invalid or expired, backs off with full jitter on frequency limits, busy answers and HTTP/network
// errors (bounded), stays within WeCom's documented frequency limits per API, and reports every call's
// outcome (errcode per path).
import { CallBudget, WECOM_DOCUMENTED_LIMITS, type CallLimits } from './domain/call-budget';

/** errcodes: https://developer.work.weixin.qq.com/document/path/90313 */
export const WECOM_ERR = {
  ok: 0,
  busy: -1,
  invalidCredential: 40001,
  invalidToken: 40014,
  expiredToken: 42001,
  rateLimited: 45009,
  userNotFound: 60111,
  departmentNotFound: 60123,
  noExternalRelation: 84061,
  invalidExternalUserId: 40096,
} as const;

/** A call WeCom answered with a non-zero errcode (or that never got an answer: errcode -1). */
export class WeComApiError extends Error {
  constructor(
    readonly path: string,
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`WeCom ${path}: errcode ${errcode} (${errmsg})`);
    this.name = 'WeComApiError';
  }
}

export type WeComCallReport = { path: string; errcode: number; attempt: number; ms: number };

export type WeComClientOptions = {
  baseUrl: string;
  corpId: string;
  secret: string;
  /** Attempts per call for retryable failures (45009, -1, HTTP 5xx, network); 5 unless given. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  onCall?: (report: WeComCallReport) => void;
  /** Calls per API per minute / hour the client allows itself; WeCom's documented limits unless given. */
  limits?: CallLimits;
  /** For tests that pin the jitter. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** For tests that run the frequency budget on their own clock. */
  now?: () => number;
};

type Json = Record<string, unknown> & { errcode?: number; errmsg?: string };

const RETRYABLE = new Set<number>([WECOM_ERR.rateLimited, WECOM_ERR.busy]);
const TOKEN_REJECTED = new Set<number>([WECOM_ERR.invalidToken, WECOM_ERR.expiredToken]);

export class WeComClient {
  private token: { value: string; expiresAt: number } | undefined;
  private fetchingToken: Promise<string> | undefined;
  readonly stats = {
    calls: 0,
    tokenFetches: 0,
    retries: 0,
    budgetWaits: 0,
    byErrcode: new Map<string, number>(),
  };
  private readonly budget: CallBudget;

  constructor(private readonly options: WeComClientOptions) {
    this.budget = new CallBudget(options.limits ?? WECOM_DOCUMENTED_LIMITS);
  }

  get corpId(): string {
    return this.options.corpId;
  }

  get<T extends Json>(path: string, query: Record<string, string | number> = {}): Promise<T> {
    return this.call<T>('GET', path, query);
  }

  post<T extends Json>(
    path: string,
    body: Record<string, unknown>,
    query: Record<string, string | number> = {},
  ): Promise<T> {
    return this.call<T>('POST', path, query, body);
  }

  private async call<T extends Json>(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string | number>,
    body?: Record<string, unknown>,
  ): Promise<T> {
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      const token = await this.accessToken();
      const answer = await this.send(method, path, { ...query, access_token: token }, body, attempt);
      // Refresh once: a second rejection of a brand-new token is not the token's age (wrong secret, revoked app).
      if (TOKEN_REJECTED.has(answer.errcode) && !refreshed) {
        refreshed = true;
        if (this.token?.value === token) this.token = undefined;
        continue;
      }
      if (answer.errcode === 0) return answer.json as T;
      if (this.retryable(answer.errcode, answer.http) && attempt < this.maxAttempts) {
        await this.backoff(attempt);
        continue;
      }
      throw new WeComApiError(path, answer.errcode, answer.errmsg);
    }
  }

  private get maxAttempts(): number {
    return this.options.maxAttempts ?? 5;
  }

  private retryable(errcode: number, http: number | null): boolean {
    return RETRYABLE.has(errcode) || http === null || http >= 500 || http === 429;
  }

  /** Full jitter: a random wait in [0, min(max, base·2^(attempt-1))]. */
  private async backoff(attempt: number): Promise<void> {
    this.stats.retries += 1;
    const base = this.options.baseDelayMs ?? 200;
    const cap = Math.min(this.options.maxDelayMs ?? 10_000, base * 2 ** (attempt - 1));
    const ms = Math.round((this.options.random ?? Math.random)() * cap);
    await this.sleep(ms);
  }

  private sleep(ms: number): Promise<void> {
    return (this.options.sleep ?? ((t) => new Promise<void>((r) => setTimeout(r, t))))(ms);
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt > Date.now()) return this.token.value;
    this.fetchingToken ??= this.fetchToken().finally(() => (this.fetchingToken = undefined));
    return this.fetchingToken;
  }

  private async fetchToken(): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      this.stats.tokenFetches += 1;
      const answer = await this.send(
        'GET',
        '/cgi-bin/gettoken',
        { corpid: this.options.corpId, corpsecret: this.options.secret },
        undefined,
        attempt,
      );
      if (answer.errcode === 0) {
        const value = String(answer.json['access_token']);
        const expiresIn = Number(answer.json['expires_in'] ?? 7200);
        // Five minutes early (or a tenth of the lifetime): never send a token in its last moments.
        this.token = { value, expiresAt: Date.now() + (expiresIn - Math.min(300, expiresIn / 10)) * 1000 };
        return value;
      }
      if (this.retryable(answer.errcode, answer.http) && attempt < this.maxAttempts) {
        await this.backoff(attempt);
        continue;
      }
      throw new WeComApiError('/cgi-bin/gettoken', answer.errcode, answer.errmsg);
    }
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string | number>,
    body: Record<string, unknown> | undefined,
    attempt: number,
  ): Promise<{ errcode: number; errmsg: string; http: number | null; json: Json }> {
    const now = this.options.now ?? Date.now;
    for (let wait = this.budget.take(path, now()); wait > 0; wait = this.budget.take(path, now())) {
      this.stats.budgetWaits += 1;
      await this.sleep(wait);
    }
    const url = new URL(this.options.baseUrl + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    const started = performance.now();
    let outcome: { errcode: number; errmsg: string; http: number | null; json: Json };
    try {
      const response = await fetch(url, {
        method,
        ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
      const text = await response.text();
      let json: Json = {};
      try {
        json = JSON.parse(text) as Json;
      } catch {
        json = {};
      }
      outcome = response.ok
        ? {
            errcode: Number(json.errcode ?? 0),
            errmsg: String(json.errmsg ?? ''),
            http: response.status,
            json,
          }
        : { errcode: WECOM_ERR.busy, errmsg: `HTTP ${response.status}`, http: response.status, json };
    } catch (error) {
      outcome = { errcode: WECOM_ERR.busy, errmsg: (error as Error).message, http: null, json: {} };
    }
    this.stats.calls += 1;
    const key = `${path} ${outcome.errcode}`;
    this.stats.byErrcode.set(key, (this.stats.byErrcode.get(key) ?? 0) + 1);
    this.options.onCall?.({ path, errcode: outcome.errcode, attempt, ms: performance.now() - started });
    return outcome;
  }
}
