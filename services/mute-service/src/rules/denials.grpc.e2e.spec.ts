import { status } from '@grpc/grpc-js';
import { MUTE_ACCESS_DENIED_TOPIC_V1, parseAccessDeniedIntegrationEventV1 } from '@tagguard/contracts';
import { eventually, readTopic } from '@tagguard/testing';
import { MuteServiceHarness } from '../testing/mute-service-harness';

// Issue 14 item 1: a refused mute-rule write is published as access.denied.v1 on mute-service's denial
// topic (for the audit trail) and writes nothing.
describe('mute-service publishes its denied attempts', () => {
  let svc: MuteServiceHarness;
  beforeAll(async () => {
    svc = await MuteServiceHarness.start();
  }, 120_000);
  afterAll(async () => svc?.stop());

  it('given a caller with mute.decide only, when it creates a rule, then PERMISSION_DENIED, the refusal on the denial topic, no rule', async () => {
    const admin = MuteServiceHarness.admin();
    const gateway = { tenantId: admin.tenantId, actorId: 'gateway-7', roles: ['mute.decide'] };
    const topic = await readTopic(MUTE_ACCESS_DENIED_TOPIC_V1);
    try {
      const refused = await svc.failure(
        'CreateRule',
        { rule: { ruleId: 'r-night', name: 'night', effect: 'RULE_EFFECT_SILENT', scope: {} } },
        gateway,
      );
      expect(refused).toMatchObject({ code: status.PERMISSION_DENIED, errorCode: 'MUTE.PERMISSION_DENIED' });
      const found = await eventually(
        () => {
          const hit = topic.seen.find(
            (s) => s.key === admin.tenantId && JSON.stringify(s.value).includes('"gateway-7"'),
          );
          expect(hit).toBeDefined();
          return hit!;
        },
        30_000,
        200,
      );
      const raw = found.value as { data?: unknown };
      const event = parseAccessDeniedIntegrationEventV1('access.denied.v1', raw.data ?? raw);
      expect(event.data).toMatchObject({
        tenantId: admin.tenantId,
        actorId: 'gateway-7',
        roles: ['mute.decide'],
        rpc: '/tagguard.mute.v1.RuleService/CreateRule',
        code: 'MUTE.PERMISSION_DENIED',
      });
      const rules = await svc.call<{ rules?: unknown[] }>('ListRules', {}, admin);
      expect(rules.rules ?? []).toEqual([]);
    } finally {
      await topic.close();
    }
  }, 60_000);
});
