import { status } from '@grpc/grpc-js';
import { DIRECTORY_ACCESS_DENIED_TOPIC_V1, parseAccessDeniedIntegrationEventV1 } from '@tagguard/contracts';
import { eventually, readTopic } from '@tagguard/testing';
import { SyncServiceHarness } from '../testing/sync-service-harness';

// Issue 14 item 1: a refused directory write is published as access.denied.v1 (for the audit trail) and
// writes nothing.
describe('sync-service publishes its denied attempts', () => {
  let svc: SyncServiceHarness;
  beforeAll(async () => {
    svc = await SyncServiceHarness.start();
  }, 120_000);
  afterAll(async () => svc?.stop());

  it('given a caller who is no tenant admin, when it disables an employee, then PERMISSION_DENIED and the refusal on the denial topic', async () => {
    const admin = SyncServiceHarness.admin();
    const clerk = { tenantId: admin.tenantId, actorId: 'clerk-9', roles: ['employee'] };
    const topic = await readTopic(DIRECTORY_ACCESS_DENIED_TOPIC_V1);
    try {
      const refused = await svc.failure('DisableEmployee', { employeeId: 'zhangsan' }, clerk);
      expect(refused).toMatchObject({
        code: status.PERMISSION_DENIED,
        errorCode: 'DIRECTORY.PERMISSION_DENIED',
      });
      const found = await eventually(
        () => {
          const hit = topic.seen.find(
            (s) => s.key === admin.tenantId && JSON.stringify(s.value).includes('"clerk-9"'),
          );
          expect(hit).toBeDefined();
          return hit!;
        },
        30_000,
        200,
      );
      const raw = found.value as { data?: unknown };
      expect(parseAccessDeniedIntegrationEventV1('access.denied.v1', raw.data ?? raw).data).toMatchObject({
        tenantId: admin.tenantId,
        actorId: 'clerk-9',
        rpc: '/tagguard.sync.v1.DirectoryService/DisableEmployee',
        resource: { field: 'employeeId', id: 'zhangsan' },
        code: 'DIRECTORY.PERMISSION_DENIED',
      });
    } finally {
      await topic.close();
    }
  }, 60_000);
});
