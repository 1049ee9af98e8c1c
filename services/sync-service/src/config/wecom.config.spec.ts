import { loadWeComConfig } from './wecom.config';

const base = { WECOM_CORP_ID: 'wwcorp', WECOM_TENANT_ID: 'tenant-a', WECOM_SECRET: 's' };
const KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';

describe('loadWeComConfig', () => {
  it('given no WECOM_CORP_ID, then the connector is off', () => {
    expect(loadWeComConfig({})).toBeUndefined();
  });

  it('given the corp, then the real API and loopback callbacks are the defaults', () => {
    expect(loadWeComConfig({ ...base, WECOM_CALLBACK_TOKEN: 't', WECOM_CALLBACK_AES_KEY: KEY })).toEqual({
      tenantId: 'tenant-a',
      corpId: 'wwcorp',
      secret: 's',
      baseUrl: 'https://qyapi.weixin.qq.com',
      callback: { token: 't', encodingAesKey: KEY, host: '127.0.0.1', port: 50065, path: '/wecom/callback' },
      fullSyncIntervalSeconds: 21600,
      pullOnStart: true,
      callsPerMinute: 10_000,
      callsPerHour: 150_000,

      pullRetryFirstMs: 5000,
    });
  });

  it.each([
    [{ WECOM_CORP_ID: 'ww' }, 'WECOM_TENANT_ID: is required'],
    [{ ...base, WECOM_SECRET: undefined }, 'WECOM_SECRET: is required'],
    [{ ...base, WECOM_CALLBACK_TOKEN: 't' }, 'WECOM_CALLBACK_AES_KEY: is required'],
    [{ ...base, WECOM_CALLBACK_AES_KEY: KEY }, 'WECOM_CALLBACK_TOKEN: is required'],
    [
      { ...base, WECOM_CALLBACK_TOKEN: 't', WECOM_CALLBACK_AES_KEY: 'short' },
      'WECOM_CALLBACK_AES_KEY: must be 43',
    ],
    [{ ...base, WECOM_BASE_URL: 'ftp://x' }, 'WECOM_BASE_URL: must be an http(s) URL'],
    [
      { ...base, WECOM_CALLBACK_TOKEN: 't', WECOM_CALLBACK_AES_KEY: KEY, WECOM_CALLBACK_HOST: '0.0.0.0' },
      'WECOM_CALLBACK_HOST: binds beyond loopback',
    ],
    [{ ...base, WECOM_AGENT_ID: 'x' }, 'WECOM_AGENT_ID'],
    // Above 2^31-1 ms a timer fires after 1 ms: a pull every millisecond.
    [{ ...base, WECOM_FULL_SYNC_INTERVAL_SECONDS: '2147484' }, 'WECOM_FULL_SYNC_INTERVAL_SECONDS'],
    [{ ...base, WECOM_PULL_RETRY_FIRST_MS: '0' }, 'WECOM_PULL_RETRY_FIRST_MS'],
  ])('given %j, then it fails naming the variable', (env, message) => {
    expect(() => loadWeComConfig(env)).toThrow(message);
  });
});
