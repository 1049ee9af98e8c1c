import { ldapDirectoryFor, loadLdapConfig } from './ldap';
import type { DownstreamConnectors } from './queue/channel-applier';

/**
 * The production connectors this process offers, from its configuration: "ldap" when LDAP_URL is set (one
 * LdapDirectory per channel, under ou=<tenant>). Nothing else: the in-memory test directory is never one.
 */
export function downstreamConnectors(
  env: Record<string, string | undefined> = process.env,
): DownstreamConnectors {
  const ldap = loadLdapConfig(env);
  return ldap ? { ldap: (channel) => ldapDirectoryFor(ldap, channel.tenantId) } : {};
}
