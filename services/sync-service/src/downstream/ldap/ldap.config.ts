import { readFileSync } from 'node:fs';
import { ConfigError, readEnv } from '@tagguard/config';
import { LdapDirectory, type LdapDirectoryOptions } from './ldap-directory';

/** The LDAP downstream (LDAP_*); `undefined` (no LDAP channel target) when LDAP_URL is unset. */
export type LdapConfig = Omit<LdapDirectoryOptions, 'tenantId'>;

export function loadLdapConfig(
  env: Record<string, string | undefined> = process.env,
): LdapConfig | undefined {
  const read = readEnv(env);
  const url = read.optional('LDAP_URL');
  if (!url) return undefined;
  if (!/^ldaps?:\/\/[^/]+\/?$/.test(url))
    throw new ConfigError('LDAP_URL', 'must be ldap://host:port or ldaps://host:port');
  const passwordFile = read.optional('LDAP_BIND_PASSWORD_FILE');
  const bindPassword = passwordFile
    ? readFileSync(passwordFile, 'utf8').trim()
    : read.optional('LDAP_BIND_PASSWORD');
  if (!bindPassword)
    throw new ConfigError('LDAP_BIND_PASSWORD_FILE', 'is required with LDAP_URL (or LDAP_BIND_PASSWORD)');
  return {
    url: url.replace(/\/$/, ''),
    bindDn: read.string('LDAP_BIND_DN'),
    bindPassword,
    baseDn: read.string('LDAP_BASE_DN'),
    connections: read.integer('LDAP_CONNECTIONS', { fallback: 4, min: 1, max: 64 }),
    timeoutMs: read.integer('LDAP_TIMEOUT_MS', { fallback: 10_000, min: 100, max: 600_000 }),
  };
}

/** One tenant's connector: its entries live under ou=<tenantId>,LDAP_BASE_DN. */
export function ldapDirectoryFor(config: LdapConfig, tenantId: string): LdapDirectory {
  return new LdapDirectory({ ...config, tenantId });
}
