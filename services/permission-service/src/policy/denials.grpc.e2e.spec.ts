import { status } from '@grpc/grpc-js';
import { PERMISSION_ACCESS_DENIED_TOPIC_V1, parseAccessDeniedIntegrationEventV1 } from '@tagguard/contracts';
import { eventually, readTopic } from '@tagguard/testing';
import { PermissionServiceHarness } from '../testing/permission-service-harness';

// Issue 14 item 1: a refused policy write is published as access.denied.v1 (for the audit trail) and
// writes nothing.
describe('permission-service publishes its denied attempts', () => {
  let svc: PermissionServiceHarness;
  beforeAll(async () => {
    svc = await PermissionServiceHarness.start();
  }, 120_000);
  afterAll(async () => svc?.stop());

  it('given a caller without policy.manage, when it defines a role, then PERMISSION_DENIED, the refusal on the denial topic, no role', async () => {
    const admin = PermissionServiceHarness.admin();
    const clerk = { tenantId: admin.tenantId, actorId: 'clerk-7', roles: ['employee'] };
    const topic = await readTopic(PERMISSION_ACCESS_DENIED_TOPIC_V1);
    try {
      const refused = await svc.failure(
        'DefineRole',
        { roleId: 'r-risk', name: '风控', scopes: ['*'] },
        clerk,
      );
      expect(refused).toMatchObject({
        code: status.PERMISSION_DENIED,
        errorCode: 'PERMISSION.PERMISSION_DENIED',
      });
      const found = await eventually(
        () => {
          const hit = topic.seen.find(
            (s) => s.key === admin.tenantId && JSON.stringify(s.value).includes('"clerk-7"'),
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
        actorId: 'clerk-7',
        rpc: '/tagguard.permission.v1.PolicyService/DefineRole',
        resource: { field: 'roleId', id: 'r-risk' },
        code: 'PERMISSION.PERMISSION_DENIED',
      });
      const roles = await svc.call<{ roles?: unknown[] }>('ListRoles', {}, admin);
      expect(roles.roles ?? []).toEqual([]);
    } finally {
      await topic.close();
    }
  }, 60_000);
});
