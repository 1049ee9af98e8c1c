import { specFor } from '../../../directory/testing/decider-spec';
import { channel, type ChannelConfig, type ChannelEvent, type ChannelSettings } from './channel.decider';

const config = (extra: Partial<ChannelConfig> = {}): ChannelConfig => ({
  channelId: 'mail-accounts',
  kind: 'employee_accounts',
  connector: 'ldap',
  settings: { mailDomain: 'corp.example', driftRepair: 'manual', driftIntervalSeconds: 300 },
  ...extra,
});
const configured = (c: ChannelConfig): ChannelEvent => ({ type: 'ChannelConfigured', data: { channel: c } });
const enabled: ChannelEvent = { type: 'ChannelEnabled', data: { channelId: 'mail-accounts' } };
const configure = (
  c: Partial<Omit<ChannelConfig, 'settings'>> & { settings?: Partial<ChannelSettings> } = {},
) => ({
  type: 'ConfigureChannel' as const,
  data: {
    channel: { ...config(), ...c, settings: { mailDomain: 'corp.example', ...c.settings } },
    connectors: ['ldap', 'scim'],
  },
});
const { given } = specFor(channel);

describe('channel decider', () => {
  it('configures a new channel with the defaults (manual repair, every 300 s), disabled', () => {
    given([])
      .when(configure())
      .then([configured(config())]);
  });

  it('writes nothing for the same configuration again', () => {
    given([configured(config())])
      .when(configure())
      .then([]);
  });

  it('changes the connector and the domain (lower-cased)', () => {
    given([configured(config())])
      .when(configure({ connector: 'scim', settings: { mailDomain: 'Mail.Corp.Example' } }))
      .then([
        configured(
          config({ connector: 'scim', settings: { ...config().settings, mailDomain: 'mail.corp.example' } }),
        ),
      ]);
  });

  it('refuses a kind change, an unknown connector, a bad domain, id or interval, naming the field', () => {
    given([configured(config())])
      .when(configure({ kind: 'tag_groups' }))
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'kind');
    given([])
      .when(configure({ connector: 'memory' }))
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'connector');
    given([])
      .when(configure({ connector: '' }))
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'connector');
    given([])
      .when(configure({ settings: { mailDomain: 'not a domain' } }))
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'settings.mailDomain');
    given([])
      .when(configure({ settings: { mailDomain: 'corp.example', driftIntervalSeconds: 5 } }))
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'settings.driftIntervalSeconds');
    given([])
      .when(configure({ channelId: 'Mail_Accounts' }))
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'channelId');
  });

  it('configures a corp-tags channel without a mail domain (corp tags have no addresses); a mail channel needs one', () => {
    given([])
      .when(configure({ kind: 'customer_corp_tags', settings: { mailDomain: '' } }))
      .then([
        configured(
          config({
            kind: 'customer_corp_tags',
            settings: { mailDomain: '', driftRepair: 'manual', driftIntervalSeconds: 300 },
          }),
        ),
      ]);
    given([])
      .when(configure({ kind: 'tag_groups', settings: { mailDomain: '' } }))
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'settings.mailDomain');
  });

  it('refuses a connector offered only to another tenant as a precondition, naming connector', () => {
    const c = configure({
      kind: 'customer_corp_tags',
      connector: 'wecom-corp-tags',
      settings: { mailDomain: '' },
    });
    given([])
      .when({ ...c, data: { ...c.data, otherTenantsConnectors: ['wecom-corp-tags'] } })
      .thenFails('DIRECTORY.FAILED_PRECONDITION', 'connector');
  });

  it("refuses a tenant's second customer corp tags channel, naming kind (each would delete the other's corp tags)", () => {
    const c = configure({
      channelId: 'corp-tags-2',
      kind: 'customer_corp_tags',
      connector: 'ldap',
      settings: { mailDomain: '' },
    });
    given([])
      .when({ ...c, data: { ...c.data, otherCorpTagChannels: ['corp-tags'] } })
      .thenFails('DIRECTORY.FAILED_PRECONDITION', 'kind');
  });

  it('enables and disables once each; repeating is a no-op', () => {
    given([configured(config())])
      .when({ type: 'EnableChannel', data: { channelId: 'mail-accounts' } })
      .then([enabled]);
    given([configured(config()), enabled])
      .when({ type: 'EnableChannel', data: { channelId: 'mail-accounts' } })
      .then([]);
    given([configured(config()), enabled])
      .when({ type: 'DisableChannel', data: { channelId: 'mail-accounts' } })
      .then([{ type: 'ChannelDisabled', data: { channelId: 'mail-accounts' } }]);
    given([configured(config())])
      .when({ type: 'DisableChannel', data: { channelId: 'mail-accounts' } })
      .then([]);
  });

  it('cannot enable a channel that does not exist', () => {
    given([])
      .when({ type: 'EnableChannel', data: { channelId: 'nope' } })
      .thenFails('DIRECTORY.NOT_FOUND', 'channelId');
  });
});
