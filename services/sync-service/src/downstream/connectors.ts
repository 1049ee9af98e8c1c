import { ConfigError } from '@tagguard/config';
import { Pool } from 'pg';
import { loadWeComConfig } from '../config/wecom.config';
import { WeComCorpTagsClient } from '../wecom/corp-tags.client';
import { WeComClient } from '../wecom/wecom.client';
import { CorpTagsDirectory } from './corp-tags/corp-tags-directory';
import { ExmailDirectory } from './exmail/exmail-directory';
import { loadExmailConfig } from './exmail/exmail.config';
import { PostgresExmailKeyStore } from './exmail/exmail-keys';
import { ldapDirectoryFor, loadLdapConfig } from './ldap';
import type { DownstreamConnectors } from './queue/channel-applier';
import { ScimDirectory } from './scim/scim-directory';
import { loadScimConfig } from './scim/scim.config';
import { quoteIdent } from '@tagguard/event-store';

/**
 * The production connectors this process offers, from its configuration: "ldap" when LDAP_URL is set (one
 * LdapDirectory per channel, under ou=<tenant>); "wecom-corp-tags" when the WeCom connector is configured
 * (WECOM_*: the same corp, for customer tags → corp tags channels of WECOM_TENANT_ID, D74); "exmail" when
 * EXMAIL_BASE_URL is set (that corp's mailboxes, EXMAIL_TENANT_ID's channels only, D105); "scim" when SCIM_URL
 * is set (SCIM_TENANT_ID's channels only when given). Nothing else: the in-memory test directory is never one.
 */
export function downstreamConnectors(
  env: Record<string, string | undefined> = process.env,
): DownstreamConnectors {
  const ldap = loadLdapConfig(env);
  const wecom = loadWeComConfig(env);
  const exmail = loadExmailConfig(env);
  const scim = loadScimConfig(env);
  const connectors: Record<string, DownstreamConnectors[string]> = {};
  let pool: Pool | undefined;
  if (ldap) connectors['ldap'] = (channel) => ldapDirectoryFor(ldap, channel.tenantId);
  if (wecom && env['DATABASE_URL']) {
    const table = `${quoteIdent(env['DATABASE_SCHEMA'] ?? 'public')}.corp_tag_keys`;
    const corpTags = (channel: Parameters<DownstreamConnectors[string]>[0]) => {
      if (channel.tenantId !== wecom.tenantId)
        throw new Error(`the WeCom corp is tenant ${wecom.tenantId}'s, not ${channel.tenantId}'s`);
      pool ??= new Pool({ connectionString: env['DATABASE_URL'], max: 2 });
      const client = new WeComClient({ baseUrl: wecom.baseUrl, corpId: wecom.corpId, secret: wecom.secret });
      return new CorpTagsDirectory(
        new WeComCorpTagsClient(client),
        new PostgresExmailKeyStore(pool, `${channel.tenantId}/${channel.channelId}`, table),
        `${channel.tenantId}/${channel.channelId}`,
      );
    };
    // Offered to that tenant only: another tenant's channel is refused when configured (D76).
    connectors['wecom-corp-tags'] = Object.assign(corpTags, { onlyTenant: wecom.tenantId });
  }
  if (exmail) {
    if (!env['DATABASE_URL'])
      throw new ConfigError('DATABASE_URL', 'is required with EXMAIL_BASE_URL (its key store)');
    const table = `${quoteIdent(env['DATABASE_SCHEMA'] ?? 'public')}.exmail_keys`;
    const mailboxes = (channel: Parameters<DownstreamConnectors[string]>[0]) => {
      if (channel.tenantId !== exmail.tenantId)
        throw new Error(`the Exmail corp is tenant ${exmail.tenantId}'s, not ${channel.tenantId}'s`);
      pool ??= new Pool({ connectionString: env['DATABASE_URL'], max: 2 });
      const client = new WeComClient({
        baseUrl: exmail.baseUrl,
        corpId: exmail.corpId,
        secret: exmail.secret,
      });
      // One key namespace per corp: the accounts channel's mailbox addresses serve the groups channel's members.
      return new ExmailDirectory({
        client,
        keys: new PostgresExmailKeyStore(pool, `${exmail.tenantId}/exmail/${exmail.corpId}`, table),
        accountDepartmentId: exmail.accountDepartmentId,
        emptyGroupDepartmentId: exmail.emptyGroupDepartmentId,
      });
    };
    connectors['exmail'] = Object.assign(mailboxes, { onlyTenant: exmail.tenantId });
  }
  if (scim) {
    const directory = () =>
      new ScimDirectory({ baseUrl: scim.baseUrl, bearerToken: scim.bearerToken, timeoutMs: scim.timeoutMs });
    connectors['scim'] = scim.tenantId ? Object.assign(directory, { onlyTenant: scim.tenantId }) : directory;
  }
  return connectors;
}
