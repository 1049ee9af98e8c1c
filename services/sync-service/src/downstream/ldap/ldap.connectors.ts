import type { DownstreamConnectors } from '../queue/channel-applier';
import { ldapDirectoryFor, loadLdapConfig } from './ldap.config';

/** The "ldap" connector when LDAP_* point at a directory (each channel's tenant gets its own OU), else none. */
export function ldapConnectorsFromEnv(
  env: Record<string, string | undefined> = process.env,
): DownstreamConnectors {
  const config = loadLdapConfig(env);
  return config ? { ldap: (channel) => ldapDirectoryFor(config, channel.tenantId) } : {};
}
