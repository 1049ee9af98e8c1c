import type { Decider } from '../../../directory/domain/decider';
import { DirectoryError, invalid } from '../../../directory/domain/directory.errors';

export type ChannelKind = 'employee_accounts' | 'tag_groups' | 'customer_corp_tags';
export type DriftRepair = 'manual' | 'auto';

export interface ChannelSettings {
  mailDomain: string;
  driftRepair: DriftRepair;
  driftIntervalSeconds: number;
}

export interface ChannelConfig {
  channelId: string;
  kind: ChannelKind;
  connector: string;
  settings: ChannelSettings;
}

export type ChannelEvent =
  | { type: 'ChannelConfigured'; data: { channel: ChannelConfig } }
  | { type: 'ChannelEnabled'; data: { channelId: string } }
  | { type: 'ChannelDisabled'; data: { channelId: string } };

export type ChannelCommand =
  | {
      type: 'ConfigureChannel';
      data: {
        channel: Omit<ChannelConfig, 'settings'> & { settings: Partial<ChannelSettings> };
        /** The connectors this service offers the tenant: an unknown one is refused. */
        connectors: readonly string[];
        /** Offered to another tenant only (bound to that tenant's system): refused as a precondition. */
        otherTenantsConnectors?: readonly string[];
        /**
         * The tenant's other customer-corp-tags channels: a second one is refused, since each would take the
         * other's corp tags in the one group `TagGuard` for drift and delete them (D77).
         */
        otherCorpTagChannels?: readonly string[];
      };
    }
  | { type: 'EnableChannel'; data: { channelId: string } }
  | { type: 'DisableChannel'; data: { channelId: string } };

export type ChannelState = { channel: ChannelConfig | null; enabled: boolean; revision: number };

export const DEFAULT_DRIFT_INTERVAL_SECONDS = 300;
const CHANNEL_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
// A DNS name: labels of letters, digits and hyphens (the address is <id>@<domain>).
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function validConfig(
  c: Omit<ChannelConfig, 'settings'> & { settings: Partial<ChannelSettings> },
  connectors: readonly string[],
  otherTenantsConnectors: readonly string[] = [],
): ChannelConfig {
  if (!CHANNEL_ID.test(c.channelId))
    throw invalid('channelId', 'must be 1–64 of [a-z0-9-], starting with a letter or digit');
  if (!c.connector) throw invalid('connector', 'is required');
  if (!connectors.includes(c.connector) && otherTenantsConnectors.includes(c.connector))
    throw new DirectoryError(
      'DIRECTORY.FAILED_PRECONDITION',
      `connector: ${c.connector} reaches another tenant's system here; it is not offered to this tenant`,
      'connector',
    );
  if (!connectors.includes(c.connector))
    throw invalid(
      'connector',
      `is not offered by this sync-service (offered: ${connectors.join(', ') || 'none'})`,
    );
  const mailDomain = (c.settings.mailDomain ?? '').toLowerCase();
  // Corp tags have no addresses (D74): the mail domain is optional there.
  if (!(c.kind === 'customer_corp_tags' && mailDomain === '') && !DOMAIN.test(mailDomain))
    throw invalid('settings.mailDomain', 'must be a domain name such as corp.example');
  const interval = c.settings.driftIntervalSeconds || DEFAULT_DRIFT_INTERVAL_SECONDS;
  if (!Number.isInteger(interval) || interval < 10 || interval > 86_400)
    throw invalid('settings.driftIntervalSeconds', 'must be between 10 and 86400 (0: 300)');
  return {
    channelId: c.channelId,
    kind: c.kind,
    connector: c.connector,
    settings: { mailDomain, driftRepair: c.settings.driftRepair ?? 'manual', driftIntervalSeconds: interval },
  };
}

function existing(state: ChannelState, channelId: string): ChannelConfig {
  if (!state.channel)
    throw new DirectoryError('DIRECTORY.NOT_FOUND', `channel ${channelId} does not exist`, 'channelId');
  return state.channel;
}

/** One channel per stream; a new channel starts disabled (enabling it is a decision of its own). */
export const channel: Decider<ChannelState, ChannelCommand, ChannelEvent> = {
  initialState: () => ({ channel: null, enabled: false, revision: -1 }),

  evolve(state, event, revision) {
    switch (event.type) {
      case 'ChannelConfigured':
        return { ...state, channel: event.data.channel, revision };
      case 'ChannelEnabled':
        return { ...state, enabled: true, revision };
      case 'ChannelDisabled':
        return { ...state, enabled: false, revision };
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'ConfigureChannel': {
        const next = validConfig(
          command.data.channel,
          command.data.connectors,
          command.data.otherTenantsConnectors,
        );
        const rivals = command.data.otherCorpTagChannels ?? [];
        if (next.kind === 'customer_corp_tags' && rivals.length > 0)
          throw new DirectoryError(
            'DIRECTORY.FAILED_PRECONDITION',
            `kind: the tenant already has a customer corp tags channel (${rivals.join(', ')}); it owns the WeCom group TagGuard`,
            'kind',
          );
        if (state.channel && state.channel.kind !== next.kind)
          throw invalid(
            'kind',
            `channel ${next.channelId} is a ${state.channel.kind} channel; its kind cannot change`,
          );
        if (JSON.stringify(state.channel) === JSON.stringify(next)) return [];
        return [{ type: 'ChannelConfigured', data: { channel: next } }];
      }
      case 'EnableChannel':
        existing(state, command.data.channelId);
        return state.enabled ? [] : [{ type: 'ChannelEnabled', data: { channelId: command.data.channelId } }];
      case 'DisableChannel':
        existing(state, command.data.channelId);
        return state.enabled
          ? [{ type: 'ChannelDisabled', data: { channelId: command.data.channelId } }]
          : [];
      default: {
        const never: never = command;
        return never;
      }
    }
  },

  revisionOf: (_command, state) => state.revision,
};
