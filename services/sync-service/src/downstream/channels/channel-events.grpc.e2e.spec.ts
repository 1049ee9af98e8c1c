import { DOWNSTREAM_EVENTS_TOPIC_V1, parseDownstreamIntegrationEventV1 } from '@tagguard/contracts';
import { eventually, readTopic } from '@tagguard/testing';
import { DownstreamHarness } from '../testing/downstream-harness';

// Issue 14 item 1: a channel's configuration and its switching on and off are accepted changes, so they
// leave sync-service on its downstream topic (for the audit trail), as the channel now is.
describe('downstream channel changes are published', () => {
  let h: DownstreamHarness;
  beforeAll(async () => {
    h = await DownstreamHarness.start();
  }, 90_000);
  afterAll(() => h?.stop());

  it('given a channel configured, enabled and disabled, then three downstream events keyed by the channel', async () => {
    const topic = await readTopic(DOWNSTREAM_EVENTS_TOPIC_V1);
    try {
      await h.downstreamCall('ConfigureChannel', {
        channelId: 'mail-audit',
        kind: 'CHANNEL_KIND_EMPLOYEE_ACCOUNTS',
        connector: 'test-http',
        settings: { mailDomain: 'corp.example' },
      });
      await h.downstreamCall('EnableChannel', { channelId: 'mail-audit' });
      await h.downstreamCall('DisableChannel', { channelId: 'mail-audit' });
      const key = `${h.tenant.tenantId}/channel/mail-audit`;
      const mine = await eventually(
        () => {
          const found = topic.seen.filter((s) => s.key === key);
          expect(found).toHaveLength(3);
          return found;
        },
        30_000,
        200,
      );
      const events = mine.map((m) => parseDownstreamIntegrationEventV1(m.type, m.value));
      expect(events.map((e) => e.type)).toEqual([
        'downstream.channel_configured.v1',
        'downstream.channel_enabled.v1',
        'downstream.channel_disabled.v1',
      ]);
      expect(events.map((e) => e.data.channelId)).toEqual(['mail-audit', 'mail-audit', 'mail-audit']);
      expect(events[0]!.data).toMatchObject({
        tenantId: h.tenant.tenantId,
        kind: 'employee_accounts',
        connector: 'test-http',
        settings: { mailDomain: 'corp.example' },
      });
    } finally {
      await topic.close();
    }
  }, 90_000);
});
