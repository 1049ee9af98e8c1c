// The HTTP edge of the SCIM client: bearer auth, application/scim+json, bounded retries with full jitter on
// network errors, 429 and 5xx, and SCIM error bodies (RFC 7644 §3.12) surfaced with their status.

export type ScimHttpOptions = {
  /** The service provider's base URL, e.g. https://idp.example/scim/v2 */
  baseUrl: string;
  bearerToken: string;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
};

export type ScimAnswer<T> = { status: number; body: T; etag: string | undefined };

/** A SCIM answer that is not 2xx (after retries), or no answer at all (status 0). */
export class ScimHttpError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly scimType: string | undefined,
    readonly detail: string,
  ) {
    super(`SCIM ${method} ${path}: ${status || 'no answer'}${scimType ? ` ${scimType}` : ''} (${detail})`);
    this.name = 'ScimHttpError';
  }
}

export class ScimHttp {
  constructor(private readonly options: ScimHttpOptions) {}

  async send<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ScimAnswer<T>> {
    const attempts = this.options.maxAttempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let detail = '';
      let scimType: string | undefined;
      try {
        const response = await fetch(this.options.baseUrl + path, {
          method,
          headers: {
            authorization: `Bearer ${this.options.bearerToken}`,
            accept: 'application/scim+json',
            ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
            ...headers,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        });
        const text = await response.text();
        const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        if (response.ok)
          return {
            status: response.status,
            body: json as T,
            etag: response.headers.get('etag') ?? undefined,
          };
        status = response.status;
        detail = String(json['detail'] ?? response.statusText);
        scimType = json['scimType'] === undefined ? undefined : String(json['scimType']);
      } catch (error) {
        detail = (error as Error).message;
      }
      const retryable = status === 0 || status === 429 || status >= 500;
      if (!retryable || attempt >= attempts) throw new ScimHttpError(method, path, status, scimType, detail);
      const cap = Math.min(
        this.options.maxDelayMs ?? 5_000,
        (this.options.baseDelayMs ?? 100) * 2 ** (attempt - 1),
      );
      await (this.options.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms))))(
        Math.round((this.options.random ?? Math.random)() * cap),
      );
    }
  }
}
