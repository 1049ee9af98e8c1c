import { validateChannel, type ChannelInput } from './channel';

const webhook: ChannelInput = {
  channelId: 'hq',
  targets: ['hq_audit'],
  config: { kind: 'webhook', url: 'https://hq.example/hook' },
};
const fails = (input: ChannelInput, field: string, isNew = true) =>
  expect(() => validateChannel(input, isNew)).toThrow(
    expect.objectContaining({ code: 'NOTIFICATION.INVALID_ARGUMENT', field }),
  );

describe('channel validation', () => {
  it('given valid webhook, email and WeCom channels, when validated, then they pass', () => {
    expect(() => validateChannel(webhook, true)).not.toThrow();
    expect(() =>
      validateChannel(
        {
          channelId: 'mail',
          targets: ['security_officer', 'custom:risk-team'],
          config: { kind: 'email', recipients: ['so@corp.example'] },
        },
        true,
      ),
    ).not.toThrow();
    expect(() =>
      validateChannel(
        {
          channelId: 'wx',
          targets: ['security_officer'],
          config: { kind: 'wecom', corpId: 'ww1', agentId: 1000002, toUser: ['zhangsan'], toParty: [] },
          wecomSecret: 's',
        },
        true,
      ),
    ).not.toThrow();
  });

  it('given a bad field, when validated, then the error names it', () => {
    fails({ ...webhook, channelId: 'Bad Id' }, 'channel.channel_id');
    fails({ ...webhook, targets: [] }, 'channel.targets');
    fails({ ...webhook, targets: ['ceo'] }, 'channel.targets');
    fails({ ...webhook, targets: ['hq_audit', 'hq_audit'] }, 'channel.targets');
    fails({ ...webhook, config: { kind: 'webhook', url: 'ftp://x' } }, 'channel.webhook.url');
    fails(
      { ...webhook, config: { kind: 'email', recipients: ['not-an-address'] } },
      'channel.email.recipients',
    );
    fails(
      { ...webhook, config: { kind: 'wecom', corpId: 'ww1', agentId: 1, toUser: ['a'], toParty: [] } },
      'channel.wecom.secret',
    );
    fails(
      {
        ...webhook,
        config: { kind: 'wecom', corpId: 'ww1', agentId: 1, toUser: [], toParty: [] },
        wecomSecret: 's',
      },
      'channel.wecom.to_user',
    );
  });

  it('given a WeCom channel replaced without its secret, when validated, then the stored secret is kept (no error)', () => {
    expect(() =>
      validateChannel(
        { ...webhook, config: { kind: 'wecom', corpId: 'ww1', agentId: 1, toUser: ['a'], toParty: [] } },
        false,
      ),
    ).not.toThrow();
  });
});
