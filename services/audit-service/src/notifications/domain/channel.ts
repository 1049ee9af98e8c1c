import { NotificationError } from './notification.errors';

export type ChannelConfig =
  | { kind: 'webhook'; url: string }
  | { kind: 'email'; recipients: string[] }
  | { kind: 'wecom'; corpId: string; agentId: number; toUser: string[]; toParty: string[] };

export type ChannelInput = {
  channelId: string;
  targets: string[];
  config: ChannelConfig;
  wecomSecret?: string;
};

const CHANNEL_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const TARGET = /^(hq_audit|security_officer|custom:[a-z0-9][a-z0-9_-]{0,62})$/;
// Deliberately plain: one @, no spaces; the SMTP server is the judge of the rest.
const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

const bad = (field: string, message: string) =>
  new NotificationError('NOTIFICATION.INVALID_ARGUMENT', message, field);

/** Checks a channel before it is written; errors name the domain field (the edge maps them to proto names). */
export function validateChannel(input: ChannelInput, isNew: boolean): void {
  if (!CHANNEL_ID.test(input.channelId))
    throw bad('channel.channel_id', 'must match [a-z0-9][a-z0-9_-]{0,62}');
  if (input.targets.length === 0) throw bad('channel.targets', 'must name at least one target');
  for (const target of input.targets)
    if (!TARGET.test(target))
      throw bad('channel.targets', `"${target}" is none of hq_audit, security_officer, custom:<name>`);
  if (new Set(input.targets).size !== input.targets.length)
    throw bad('channel.targets', 'must not repeat a target');
  const c = input.config;
  switch (c.kind) {
    case 'webhook': {
      let url: URL | undefined;
      try {
        url = new URL(c.url);
      } catch {
        url = undefined;
      }
      if (!url || !['http:', 'https:'].includes(url.protocol))
        throw bad('channel.webhook.url', 'must be an http(s) URL');
      return;
    }
    case 'email':
      if (c.recipients.length === 0) throw bad('channel.email.recipients', 'must hold at least one address');
      for (const r of c.recipients)
        if (!ADDRESS.test(r)) throw bad('channel.email.recipients', `"${r}" is no e-mail address`);
      return;
    case 'wecom':
      if (!c.corpId) throw bad('channel.wecom.corp_id', 'is required');
      if (!Number.isSafeInteger(c.agentId) || c.agentId <= 0)
        throw bad('channel.wecom.agent_id', 'must be a positive agentid');
      if (isNew && !input.wecomSecret)
        throw bad('channel.wecom.secret', 'is required when the channel is created');
      if (c.toUser.length === 0 && c.toParty.length === 0)
        throw bad('channel.wecom.to_user', 'at least one of to_user and to_party is required');
      if (c.toUser.length + c.toParty.length > 1000)
        throw bad('channel.wecom.to_user', 'at most 1000 recipients');
      return;
    default: {
      const never: never = c;
      return never;
    }
  }
}
