import { readFileSync } from 'node:fs';
import { ConfigError, readEnv } from '@tagguard/config';
import { httpUrl } from '../exmail/exmail.config';

/** The SCIM 2.0 downstream (SCIM_*); `undefined` (not offered) when SCIM_URL is unset. */
export interface ScimConfig {
  baseUrl: string;
  bearerToken: string;
  /** Set: the service provider is this tenant's alone (offered to it only); unset: offered to every tenant. */
  tenantId?: string;
  timeoutMs: number;
}

export function loadScimConfig(
  env: Record<string, string | undefined> = process.env,
): ScimConfig | undefined {
  const read = readEnv(env);
  const url = read.optional('SCIM_URL');
  if (!url) return undefined;
  const tokenFile = read.optional('SCIM_TOKEN_FILE');
  const bearerToken = tokenFile ? readFileSync(tokenFile, 'utf8').trim() : read.optional('SCIM_TOKEN');
  if (!bearerToken) throw new ConfigError('SCIM_TOKEN_FILE', 'is required with SCIM_URL (or SCIM_TOKEN)');
  const tenantId = read.optional('SCIM_TENANT_ID');
  return {
    baseUrl: httpUrl('SCIM_URL', url),
    bearerToken,
    ...(tenantId ? { tenantId } : {}),
    timeoutMs: read.integer('SCIM_TIMEOUT_MS', { fallback: 10_000, min: 100, max: 600_000 }),
  };
}
