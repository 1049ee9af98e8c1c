import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { testInfra } from '@tagguard/testing';
import { Client } from 'pg';
import {
  customers,
  TagServiceHarness,
  type Caller,
  type ServiceName,
} from '../../testing/tag-service-harness';

type Written = { result: { consistencyToken: string; pendingApproval?: { approvalId: string } } };
type Restored = {
  restoreId: string;
  changes: { tagId: string; change: string; members: string[] }[];
  consistencyToken: string;
  pendingApproval?: { approvalId: string; operation: string; status: string };
  sensitivityLevel: string;
};

// Restores over real gRPC against tag-service as an OS process: an idempotency key is bound to its
// request (scope, moment, tag, RPC), a retry gets the first answer in full (also after a restart), and a
// critical restore waits for a second person.
describe('safe restores and bound idempotency keys over gRPC', () => {
  let svc: TagServiceHarness;
  let pg: Client;
  beforeAll(async () => {
    svc = await TagServiceHarness.start();
    pg = new Client({ connectionString: testInfra().postgresUrl });
    await pg.connect();
  }, 60_000);
  afterAll(async () => {
    await pg?.end();
    await svc?.stop();
  });

  const eventsOf = async (tenantId: string) =>
    Number(
      (
        (await pg.query(
          `SELECT count(*)::int AS n FROM "${svc.schema}_es".events WHERE metadata->>'tenantId' = $1`,
          [tenantId],
        )) as { rows: { n: number }[] }
      ).rows[0]!.n,
    );
  const total = async (tagId: string, caller: Caller, consistencyToken = '') =>
    (await svc.call<{ total: number }>('members', 'ListMembers', { tagId, consistencyToken }, caller)).total;
  const tagWith = async (caller: Caller, members: number) => {
    const tagId = randomUUID();
    const created = await svc.call<Written>(
      'tags',
      'CreateTag',
      { tagId, name: `VIP-${tagId.slice(0, 4)}`, kind: 'TAG_KIND_CUSTOMER' },
      caller,
    );
    const added = members
      ? await svc.call<Written>('members', 'AddMembers', { tagId, members: customers(members) }, caller)
      : created;
    return { tagId, empty: created.result.consistencyToken, full: added.result.consistencyToken };
  };

  it('the same key with another moment is INVALID_ARGUMENT and writes nothing; a retry gets the first answer in full, also after a restart', async () => {
    const admin = TagServiceHarness.admin();
    const { tagId, empty, full } = await tagWith(admin, 300);
    await svc.call('members', 'RemoveMembers', { tagId, members: customers(20) }, admin);
    // Only member changes to put back: no catalogue event of its own (the answer was lost that way before).
    const restore = { rootId: tagId, asOf: { position: full }, idempotencyKey: `restore-${randomUUID()}` };
    const first = await svc.call<Restored>('timeMachine', 'RestoreToPoint', restore, admin);
    expect(first.changes).toEqual([expect.objectContaining({ change: 'members_added' })]);
    expect(first.changes[0]!.members).toHaveLength(20);
    expect(await total(tagId, admin, first.consistencyToken)).toBe(300);

    const before = await eventsOf(admin.tenantId);
    // The accident: same key, another as_of (the tag's empty start) would take 300 members away.
    expect(
      await svc.failure('timeMachine', 'RestoreToPoint', { ...restore, asOf: { position: empty } }, admin),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'idempotency_key' });
    expect(
      await svc.failure('timeMachine', 'RestoreToPoint', { ...restore, rootId: '' }, admin),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'idempotency_key' });
    expect(await eventsOf(admin.tenantId)).toBe(before);
    expect(await total(tagId, admin)).toBe(300);

    // Exactly the first answer, its consistency token included (it covers the member changes).
    const again = await svc.call<Restored>('timeMachine', 'RestoreToPoint', restore, admin);
    expect(again).toEqual(first);
    await svc.restart();
    const afterRestart = await svc.call<Restored>('timeMachine', 'RestoreToPoint', restore, admin);
    expect(afterRestart).toEqual(first);
    expect(
      await svc.failure('timeMachine', 'RestoreToPoint', { ...restore, asOf: { position: empty } }, admin),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'idempotency_key' });
    expect(await eventsOf(admin.tenantId)).toBe(before);
    expect(await total(tagId, admin)).toBe(300);
  }, 90_000);

  it('a critical restore is graded by PlanRestore, waits for a second admin, and runs once when approved', async () => {
    const requester = TagServiceHarness.admin(undefined, 'admin-1');
    const approver = { ...requester, actorId: 'admin-2' };
    const { tagId, empty } = await tagWith(requester, 300);
    const plan = await svc.call<{
      sensitivityLevel: string;
      membersAffected: number;
      requiresApproval: boolean;
    }>('timeMachine', 'PlanRestore', { rootId: tagId, asOf: { position: empty } }, requester);
    expect(plan).toMatchObject({
      sensitivityLevel: 'critical',
      membersAffected: 300,
      requiresApproval: true,
    });

    const restore = { rootId: tagId, asOf: { position: empty }, idempotencyKey: `restore-${randomUUID()}` };
    const pending = await svc.call<Restored>('timeMachine', 'RestoreToPoint', restore, requester);
    expect(pending.pendingApproval).toMatchObject({
      operation: 'GUARDED_OPERATION_TYPE_RESTORE',
      status: 'APPROVAL_STATUS_PENDING',
    });
    expect(pending.sensitivityLevel).toBe('critical');
    expect(await total(tagId, requester, pending.consistencyToken)).toBe(300);
    expect(await svc.call<Restored>('timeMachine', 'RestoreToPoint', restore, requester)).toMatchObject({
      restoreId: pending.restoreId,
      pendingApproval: { approvalId: pending.pendingApproval!.approvalId },
    });
    const approvalId = pending.pendingApproval!.approvalId;
    expect(await svc.failure('governance', 'ApproveOperation', { approvalId }, requester)).toMatchObject({
      code: status.PERMISSION_DENIED,
    });

    const approve = { approvalId, idempotencyKey: `approve-${randomUUID()}` };
    const approved = await svc.call<Written>('governance', 'ApproveOperation', approve, approver);
    expect(await total(tagId, requester, approved.result.consistencyToken)).toBe(0);
    const written = await eventsOf(requester.tenantId);
    await svc.call('governance', 'ApproveOperation', approve, approver);
    await svc.call('governance', 'ApproveOperation', { approvalId }, approver);
    expect(await eventsOf(requester.tenantId)).toBe(written);
    const { operations } = await svc.call<{ operations: Record<string, unknown>[] }>(
      'governance',
      'ListSensitiveOperations',
      { consistencyToken: approved.result.consistencyToken },
      requester,
    );
    expect(operations).toEqual([
      expect.objectContaining({
        operation: 'restore',
        level: 'critical',
        actorId: 'admin-1',
        approvedBy: 'admin-2',
        totalMembers: 300,
      }),
    ]);
    // Nobody is frozen: the critical restore did not run without the second person.
    expect(
      (await svc.call<{ operators: unknown[] }>('governance', 'ListFrozenOperators', {}, requester))
        .operators,
    ).toEqual([]);
  }, 60_000);

  it('a restore at the warning threshold runs and is recorded as a sensitive operation', async () => {
    const admin = TagServiceHarness.admin();
    const { tagId, full } = await tagWith(admin, 100);
    await svc.call('members', 'AddMembers', { tagId, members: customers(60, 'n') }, admin);
    const restored = await svc.call<Restored>(
      'timeMachine',
      'RestoreToPoint',
      { rootId: tagId, asOf: { position: full } },
      admin,
    );
    expect(restored.sensitivityLevel).toBe('warning');
    expect(restored.pendingApproval ?? undefined).toBeUndefined();
    expect(await total(tagId, admin, restored.consistencyToken)).toBe(100);
    const { operations } = await svc.call<{ operations: Record<string, unknown>[] }>(
      'governance',
      'ListSensitiveOperations',
      { consistencyToken: restored.consistencyToken },
      admin,
    );
    expect(operations).toEqual([
      expect.objectContaining({ operation: 'restore', level: 'warning', totalMembers: 60, approvedBy: '' }),
    ]);
  });

  it('a key is bound tenant-wide: another tag, another approval or another rule with the same key is refused and changes nothing', async () => {
    const first = TagServiceHarness.admin(undefined, 'assistant-1');
    const second = { ...first, actorId: 'supervisor-1' };
    const a = await tagWith(first, 0);
    const b = await tagWith(first, 0);
    const key = `add-${randomUUID()}`;
    await svc.call(
      'members',
      'AddMembers',
      { tagId: a.tagId, members: customers(3), idempotencyKey: key },
      first,
    );
    expect(
      await svc.failure(
        'members',
        'AddMembers',
        { tagId: b.tagId, members: customers(3), idempotencyKey: key },
        first,
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'idempotency_key' });
    expect(await total(b.tagId, first)).toBe(0);

    // Two requests waiting for a second person on a protected tag.
    await svc.call('tags', 'SetTagProtection', { tagId: b.tagId, protected: true }, first);
    const asks = await Promise.all(
      ['x', 'y'].map((p) =>
        svc.call<{ result: { pendingApproval: { approvalId: string } } }>(
          'members',
          'AddMembers',
          { tagId: b.tagId, members: customers(1, p) },
          first,
        ),
      ),
    );
    const [one, other] = asks.map((r) => r.result.pendingApproval.approvalId) as [string, string];
    const reject = { approvalId: one, reason: 'no', idempotencyKey: `reject-${randomUUID()}` };
    await svc.call('governance', 'RejectOperation', reject, second);
    // A retried reject answers like the first time (without a key it would be FAILED_PRECONDITION).
    await svc.call('governance', 'RejectOperation', reject, second);
    for (const [method, request] of [
      ['RejectOperation', { ...reject, approvalId: other }],
      ['ApproveOperation', { approvalId: other, idempotencyKey: reject.idempotencyKey }],
    ] as const)
      expect(await svc.failure('governance', method, request, second)).toMatchObject({
        code: status.INVALID_ARGUMENT,
        field: 'idempotency_key',
      });
    const { approvals } = await svc.call<{ approvals: { approvalId: string }[] }>(
      'governance',
      'ListApprovals',
      {},
      first,
    );
    expect(approvals.map((x) => x.approvalId)).toEqual([other]);

    const rules = [randomUUID(), randomUUID()];
    for (const ruleId of rules)
      await svc.call(
        'governance',
        'DefineRevertRule',
        { rule: { ruleId, tagId: a.tagId, type: 'REVERT_RULE_TYPE_REMOVAL_REQUIRES_ROLE', role: 'hq' } },
        first,
      );
    const remove = { ruleId: rules[0], idempotencyKey: `remove-${randomUUID()}` };
    await svc.call('governance', 'RemoveRevertRule', remove, first);
    await svc.call('governance', 'RemoveRevertRule', remove, first);
    expect(
      await svc.failure('governance', 'RemoveRevertRule', { ...remove, ruleId: rules[1] }, first),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'idempotency_key' });
    expect(
      await svc.failure(
        'automations',
        'RemoveAutomation',
        { ruleId: rules[1], idempotencyKey: remove.idempotencyKey },
        first,
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'idempotency_key' });
    const listed = await svc.call<{ rules: { ruleId: string }[] }>(
      'governance',
      'ListRevertRules',
      {},
      first,
    );
    expect(listed.rules.map((r) => r.ruleId)).toEqual([rules[1]]);
  });

  it('every keyed tag RPC refuses its key with another request (a no-op first answer included) and writes nothing', async () => {
    const admin = TagServiceHarness.admin();
    const tag = async (name: string, extra: object = {}) => {
      const tagId = randomUUID();
      await svc.call('tags', 'CreateTag', { tagId, name, kind: 'TAG_KIND_CUSTOMER', ...extra }, admin);
      return tagId;
    };
    const t1 = await tag('t1');
    const [d1, d2] = [await tag('d1'), await tag('d2')];
    for (const tagId of [d1, d2]) await svc.call('tags', 'DeleteTag', { tagId }, admin);
    const policy = (warningThreshold: number) => ({
      policy: { warningThreshold, criticalThreshold: 500, retentionHours: 72, approvalTtlHours: 24 },
    });
    const automation = (dueInHours: number) => ({
      automation: { tagId: t1, assigneeId: 'sales-1', dueInHours, guideTemplate: 'call {customer}' },
    });
    const rule = (role: string) => ({
      rule: { tagId: t1, type: 'REVERT_RULE_TYPE_REMOVAL_REQUIRES_ROLE', role },
    });
    // Each update gets tags of its own at revision 0 (expected_revision 0 is what an unset field sends).
    const pair = async (): Promise<[string, string]> => [
      await tag(randomUUID().slice(0, 8)),
      await tag(randomUUID().slice(0, 8)),
    ];
    const cases: (() => Promise<[ServiceName, string, object, object]>)[] = [
      async () => [
        'tags',
        'CreateTag',
        { tagId: randomUUID(), name: 'n1', kind: 'TAG_KIND_CUSTOMER' },
        { tagId: randomUUID(), name: 'n2', kind: 'TAG_KIND_CUSTOMER' },
      ],
      async () => {
        const [a] = await pair();
        return ['tags', 'RenameTag', { tagId: a, name: 'r1' }, { tagId: a, name: 'r2' }];
      },
      // Already at the root: the first answer changed nothing and is still bound.
      async () => {
        const [a, b] = await pair();
        return ['tags', 'MoveTag', { tagId: a, parentId: '' }, { tagId: b, parentId: '' }];
      },
      async () => {
        const [a] = await pair();
        return ['tags', 'ReorderTag', { tagId: a, order: 7 }, { tagId: a, order: 8 }];
      },
      async () => {
        const [a] = await pair();
        return ['tags', 'DescribeTag', { tagId: a, description: 'a' }, { tagId: a, description: 'b' }];
      },
      async () => {
        const [a] = await pair();
        return [
          'tags',
          'SetTagVisibility',
          { tagId: a, visibility: { restricted: true, roles: ['a'] } },
          { tagId: a, visibility: { restricted: true, roles: ['b'] } },
        ];
      },
      async () => {
        const [a, b] = await pair();
        return ['tags', 'SetTagProtection', { tagId: a, protected: true }, { tagId: b, protected: true }];
      },
      async () => {
        const [a, b] = await pair();
        return ['tags', 'DeleteTag', { tagId: a }, { tagId: b }];
      },
      async () => ['bin', 'RestoreTag', { tagId: d1 }, { tagId: d2 }],
      async () => {
        const [a, b] = await pair();
        return [
          'members',
          'RemoveMembers',
          { tagId: a, members: customers(1) },
          { tagId: b, members: customers(1) },
        ];
      },
      async () => ['governance', 'ConfigurePolicy', policy(40), policy(41)],
      async () => ['governance', 'DefineRevertRule', rule('hq'), rule('branch')],
      async () => ['automations', 'DefineAutomation', automation(24), automation(48)],
    ];
    for (const build of cases) {
      const [service, method, first, second] = await build();
      const idempotencyKey = `${method}-${randomUUID()}`;
      await svc.call(service, method, { ...first, idempotencyKey }, admin);
      const before = await eventsOf(admin.tenantId);
      expect([method, await svc.failure(service, method, { ...second, idempotencyKey }, admin)]).toEqual([
        method,
        expect.objectContaining({ code: status.INVALID_ARGUMENT, field: 'idempotency_key' }),
      ]);
      expect([method, await eventsOf(admin.tenantId)]).toEqual([method, before]);
    }
  });
});
