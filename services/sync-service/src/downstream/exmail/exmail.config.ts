import { readFileSync } from 'node:fs';
import { ConfigError, readEnv } from '@tagguard/config';

/** The Exmail-style downstream (EXMAIL_*); `undefined` (not offered) when EXMAIL_BASE_URL is unset. */
export interface ExmailConfig {
  /** An Exmail corp is one organisation's: only this tenant's channels may use it. */
  tenantId: string;
  /** https://api.exmail.qq.com for the real API; the WeCom sandbox's `<url>/exmail` in tests and the demo. */
  baseUrl: string;
  corpId: string;
  /** The 通讯录管理 application's corpsecret. */
  secret: string;
  accountDepartmentId: number;
  emptyGroupDepartmentId: number;
}

export function loadExmailConfig(
  env: Record<string, string | undefined> = process.env,
): ExmailConfig | undefined {
  const read = readEnv(env);
  const url = read.optional('EXMAIL_BASE_URL');
  if (!url) return undefined;
  const secretFile = read.optional('EXMAIL_SECRET_FILE');
  const secret = secretFile ? readFileSync(secretFile, 'utf8').trim() : read.optional('EXMAIL_SECRET');
  if (!secret)
    throw new ConfigError('EXMAIL_SECRET', 'is required with EXMAIL_BASE_URL (or EXMAIL_SECRET_FILE)');
  return {
    tenantId: read.string('EXMAIL_TENANT_ID'),
    baseUrl: httpUrl('EXMAIL_BASE_URL', url),
    corpId: read.string('EXMAIL_CORP_ID'),
    secret,
    accountDepartmentId: read.integer('EXMAIL_ACCOUNT_DEPARTMENT_ID', { fallback: 1, min: 1 }),
    emptyGroupDepartmentId: read.integer('EXMAIL_EMPTY_GROUP_DEPARTMENT_ID', { min: 1 }),
  };
}

export function httpUrl(name: string, value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error();
    return url.toString().replace(/\/$/, '');
  } catch {
    throw new ConfigError(name, `must be an http(s) URL, got "${value}"`);
  }
}
