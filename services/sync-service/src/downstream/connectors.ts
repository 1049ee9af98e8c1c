import { Pool } from 'pg';
import { loadWeComConfig } from '../config/wecom.config';
import { WeComCorpTagsClient } from '../wecom/corp-tags.client';
import { WeComClient } from '../wecom/wecom.client';
import { CorpTagsDirectory } from './corp-tags/corp-tags-directory';
import { PostgresExmailKeyStore } from './exmail/exmail-keys';
import { ldapDirectoryFor, loadLdapConfig } from './ldap';
import type { DownstreamConnectors } from './queue/channel-applier';
import { quoteIdent } from '@tagguard/event-store';

/**
 * The production connectors this process offers, from its configuration: "ldap" when LDAP_URL is set (one
 * LdapDirectory per channel, under ou=<tenant>); "wecom-corp-tags" when the WeCom connector is configured
 * (WECOM_*: the same corp, for customer tags → corp tags channels of WECOM_TENANT_ID, D74). Nothing else:
 * the in-memory test directory is never one.
 */
export function downstreamConnectors(
  env: Record<string, string | undefined> = process.env,
): DownstreamConnectors {
  const ldap = loadLdapConfig(env);
  const wecom = loadWeComConfig(env);
  const connectors: Record<string, DownstreamConnectors[string]> = {};
  if (ldap) connectors['ldap'] = (channel) => ldapDirectoryFor(ldap, channel.tenantId);
  if (wecom && env['DATABASE_URL']) {
    let pool: Pool | undefined;
    const table = `${quoteIdent(env['DATABASE_SCHEMA'] ?? 'public')}.corp_tag_keys`;
    const corpTags = (channel: Parameters<DownstreamConnectors[string]>[0]) => {
      if (channel.tenantId !== wecom.tenantId)
        throw new Error(`the WeCom corp is tenant ${wecom.tenantId}'s, not ${channel.tenantId}'s`);
      pool ??= new Pool({ connectionString: env['DATABASE_URL'], max: 2 });
      const client = new WeComClient({ baseUrl: wecom.baseUrl, corpId: wecom.corpId, secret: wecom.secret });
      return new CorpTagsDirectory(
        new WeComCorpTagsClient(client),
        new PostgresExmailKeyStore(pool, `${channel.tenantId}/${channel.channelId}`, table),
      );
    };
    // Offered to that tenant only: another tenant's channel is refused when configured (D-B1).
    connectors['wecom-corp-tags'] = Object.assign(corpTags, { onlyTenant: wecom.tenantId });
  }
  return connectors;
}
