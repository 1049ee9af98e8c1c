import { ConfigError, readEnv } from '@tagguard/config';

/** One tenant's WeCom contacts connector; `undefined` (off) when WECOM_CORP_ID is unset. */
export interface WeComConfig {
  tenantId: string;
  corpId: string;
  secret: string;
  /** https://qyapi.weixin.qq.com for the real API; the sandbox's URL in tests and the embedded demo. */
  baseUrl: string;
  /** The application's agentid: partner enterprises (corpgroup) are listed only with it. */
  agentId?: number;
  callback?: {
    token: string;
    encodingAesKey: string;
    host: string;
    port: number;
    path: string;
  };
  /** Seconds between full pulls (pullAll → reconcile); 0 = only the one at start. */
  fullSyncIntervalSeconds: number;
  /** Pull once when the connector starts. */
  pullOnStart: boolean;
  /** Calls per API the client allows itself (WeCom documents 10,000 a minute and 150,000 an hour). */
  callsPerMinute: number;
  callsPerHour: number;

  /** First delay before a failed pull is tried again (doubling, at most 10 min or the interval). */
  pullRetryFirstMs: number;
}

/** Timers clamp delays above 2^31-1 ms to 1 ms (a pull every millisecond): the largest interval allowed. */
const MAX_INTERVAL_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function loadWeComConfig(
  env: Record<string, string | undefined> = process.env,
): WeComConfig | undefined {
  const read = readEnv(env);
  const corpId = read.optional('WECOM_CORP_ID');
  if (!corpId) return undefined;
  const token = read.optional('WECOM_CALLBACK_TOKEN');
  const encodingAesKey = read.optional('WECOM_CALLBACK_AES_KEY');
  if (!!token !== !!encodingAesKey)
    throw new ConfigError(
      token ? 'WECOM_CALLBACK_AES_KEY' : 'WECOM_CALLBACK_TOKEN',
      'is required with the other callback setting',
    );
  // WeCom's EncodingAESKey: 43 characters of [a-zA-Z0-9], base64 of the 32-byte AES key without its '='.
  if (encodingAesKey !== undefined && !/^[A-Za-z0-9]{43}$/.test(encodingAesKey))
    throw new ConfigError('WECOM_CALLBACK_AES_KEY', 'must be 43 characters of a-z, A-Z, 0-9');
  const callbackHost = read.string('WECOM_CALLBACK_HOST', '127.0.0.1');
  if (!LOOPBACK.test(callbackHost) && read.optional('WECOM_CALLBACK_ALLOW_PUBLIC') !== 'true')
    throw new ConfigError(
      'WECOM_CALLBACK_HOST',
      'binds beyond loopback only with WECOM_CALLBACK_ALLOW_PUBLIC=true (put it behind the TLS proxy WeCom calls)',
    );
  const agentId = read.optional('WECOM_AGENT_ID');
  return {
    tenantId: read.string('WECOM_TENANT_ID'),
    corpId,
    secret: read.string('WECOM_SECRET'),
    baseUrl: baseUrl(read.string('WECOM_BASE_URL', 'https://qyapi.weixin.qq.com')),
    ...(agentId !== undefined ? { agentId: read.integer('WECOM_AGENT_ID', { min: 1 }) } : {}),
    ...(token && encodingAesKey
      ? {
          callback: {
            token,
            encodingAesKey,
            host: callbackHost,
            port: read.port('WECOM_CALLBACK_PORT', 50065),
            path: read.string('WECOM_CALLBACK_PATH', '/wecom/callback'),
          },
        }
      : {}),
    fullSyncIntervalSeconds: read.integer('WECOM_FULL_SYNC_INTERVAL_SECONDS', {
      fallback: 21_600,
      min: 0,
      max: MAX_INTERVAL_SECONDS,
    }),
    pullOnStart: read.oneOf('WECOM_PULL_ON_START', ['true', 'false'] as const, 'true') === 'true',
    callsPerMinute: read.integer('WECOM_CALLS_PER_MINUTE', { fallback: 10_000, min: 1 }),
    callsPerHour: read.integer('WECOM_CALLS_PER_HOUR', { fallback: 150_000, min: 1 }),

    pullRetryFirstMs: read.integer('WECOM_PULL_RETRY_FIRST_MS', { fallback: 5_000, min: 1, max: 600_000 }),
  };
}

function baseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error();
    return url.toString().replace(/\/$/, '');
  } catch {
    throw new ConfigError('WECOM_BASE_URL', `must be an http(s) URL, got "${value}"`);
  }
}
