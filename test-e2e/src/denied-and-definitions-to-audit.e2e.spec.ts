import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { eventually } from '@tagguard/testing';
import { serviceClient, signedMetadata, unary } from './support/callers';
import { startTagAndAudit, type TagAndAudit } from './support/tag-and-audit';

// Issue 14 item 1 across processes: changes tag-service used to keep to itself (reorder, describe, the
// sensitive-operation policy) and its denied attempts reach the audit trail through relay → Kafka →
// audit-service; the refusal itself changed nothing.
describe('definitions and denied attempts reach the audit trail', () => {
  const run = randomUUID().slice(0, 8);
  const tenant = `tenant-${run}`;
  const admin = signedMetadata(tenant);
  const employee = signedMetadata(tenant, 'e-li', ['employee']);
  let services: TagAndAudit | undefined;
  let tags: grpc.Client;
  let governance: grpc.Client;
  let members: grpc.Client;
  let trail: grpc.Client;

  beforeAll(async () => {
    services = await startTagAndAudit(`denied_${run}`);
    tags = serviceClient(services.tagAddress, 'tag');
    governance = serviceClient(services.tagAddress, 'governance');
    members = serviceClient(services.tagAddress, 'members');
    trail = serviceClient(services.auditAddress, 'audit');
  });
  afterAll(async () => {
    tags?.close();
    governance?.close();
    members?.close();
    trail?.close();
    await services?.stop();
  });

  it('records reorder, describe, policy, a refused delete and a frozen operator’s refused create, with who, what and why', async () => {
    const tagId = randomUUID();
    await unary(tags, 'CreateTag', { tagId, name: 'VIP客户', kind: 'TAG_KIND_CUSTOMER' }, admin);
    const doomed = randomUUID();
    await unary(tags, 'CreateTag', { tagId: doomed, name: '意向客户', kind: 'TAG_KIND_CUSTOMER' }, admin);
    const customers = ['c1', 'c2', 'c3'].map((id) => ({ kind: 'MEMBER_KIND_CUSTOMER', id, attributes: {} }));
    await unary(members, 'AddMembers', { tagId: doomed, members: customers }, admin);
    await unary(tags, 'ReorderTag', { tagId, order: 7 }, admin);
    await unary(tags, 'DescribeTag', { tagId, description: '高价值客户', expectedRevision: '1' }, admin);
    await unary(
      governance,
      'ConfigurePolicy',
      { policy: { warningThreshold: 20, criticalThreshold: 150, retentionHours: 72, approvalTtlHours: 24 } },
      admin,
    );
    await expect(unary(tags, 'DeleteTag', { tagId, expectedRevision: '2' }, employee)).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
    // With the policy tightened, deleting a 3-member tag is critical: its operator is frozen, then refused.
    await unary(
      governance,
      'ConfigurePolicy',
      { policy: { warningThreshold: 1, criticalThreshold: 2, retentionHours: 72, approvalTtlHours: 24 } },
      admin,
    );
    const manager = signedMetadata(tenant, 'mgr-east');
    await unary(tags, 'DeleteTag', { tagId: doomed, expectedRevision: '0' }, manager);
    const frozenCreate = { tagId: randomUUID(), name: 'x', kind: 'TAG_KIND_CUSTOMER' };
    const frozen = await unary(tags, 'CreateTag', frozenCreate, manager).catch((e: grpc.ServiceError) => e);
    expect(frozen).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    expect((frozen as grpc.ServiceError).metadata.get('tg-error-code')).toEqual(['TAG.OPERATOR_FROZEN']);

    type Rec = { eventType: string; actorId: string; subjectId: string; dataJson: string };
    const records = await eventually(async () => {
      const page = await unary(trail, 'ListAuditRecords', { pageSize: 500 }, admin);
      const types = (page['records'] as Rec[]).map((r) => r.eventType);
      expect(types).toEqual(
        expect.arrayContaining([
          'tag.created.v1',
          'tag.reordered.v1',
          'tag.described.v1',
          'tag.policy_configured.v1',
          'access.denied.v1',
          'tag.operator_frozen.v1',
        ]),
      );
      expect(types.filter((t) => t === 'access.denied.v1')).toHaveLength(2);
      return page['records'] as Rec[];
    }, 60_000);
    const data = (type: string) => JSON.parse(records.find((r) => r.eventType === type)!.dataJson);
    const refusals = records.filter((r) => r.eventType === 'access.denied.v1');
    expect(refusals.find((r) => r.actorId === 'mgr-east')).toBeDefined();
    expect(JSON.parse(refusals.find((r) => r.actorId === 'mgr-east')!.dataJson)).toMatchObject({
      rpc: '/tagguard.tag.v1.TagService/CreateTag',
      code: 'TAG.OPERATOR_FROZEN',
      resource: { field: 'tagId', id: frozenCreate.tagId },
    });
    expect(data('tag.reordered.v1')).toMatchObject({ tagId, order: 7 });
    expect(data('tag.described.v1')).toMatchObject({ tagId, description: '高价值客户' });
    expect(data('tag.policy_configured.v1')).toMatchObject({ warningThreshold: 20, criticalThreshold: 150 });
    // data() finds the first refusal: the employee's.
    expect(records.find((r) => r.eventType === 'access.denied.v1')).toMatchObject({ actorId: 'e-li' });
    expect(data('access.denied.v1')).toMatchObject({
      rpc: '/tagguard.tag.v1.TagService/DeleteTag',
      resource: { field: 'tagId', id: tagId },
      code: 'TAG.PERMISSION_DENIED',
      roles: ['employee'],
    });
    // The refusal wrote no domain state: the tag is still there.
    await expect(unary(tags, 'GetTag', { tagId }, admin)).resolves.toMatchObject({ tag: { deleted: false } });
  }, 180_000);
});
