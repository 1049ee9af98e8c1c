import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import {
  DIRECTORY_EVENTS_TOPIC_V1,
  PERMISSION_EVENTS_TOPIC_V1,
  TAG_EVENTS_TOPIC_V1,
} from '@tagguard/contracts';
import { KafkaTransport, type IntegrationMessage, type MessagePublisher } from '@tagguard/messaging';
import { eventually, testInfra } from '@tagguard/testing';
import { Kafka, logLevel } from 'kafkajs';
import { PermissionServiceHarness, type Caller } from '../testing/permission-service-harness';

type Write = { result: { revision: string; consistencyToken: string; changed: boolean } };
type Tree = { rules: { ruleId: string; position: number; revision: string }[]; revision: string };

describe('tagguard.permission.v1 PolicyService and CheckService over gRPC', () => {
  let svc: PermissionServiceHarness;
  let transport: KafkaTransport;
  let publisher: MessagePublisher;
  let admin: Caller;
  beforeAll(async () => {
    svc = await PermissionServiceHarness.start();
    transport = new KafkaTransport({ clientId: 'permission-e2e', brokers: testInfra().kafkaBrokers });
    publisher = await transport.publisher();
  }, 120_000);
  afterAll(async () => {
    await publisher?.close();
    await transport?.close();
    await svc?.stop();
  });
  beforeEach(() => {
    admin = PermissionServiceHarness.admin();
  });
  const rule = (ruleId: string, extra: object = {}) => ({
    ruleId,
    effect: 'RULE_EFFECT_GRANT',
    subject: { department: { departmentId: 'd1', includeSubDepartments: false } },
    resource: { tagGroupId: 'g1' },
    actions: ['customer_tags.view'],
    starred: true,
    ...extra,
  });
  const message = (topic: string, type: string, key: string, data: object): IntegrationMessage => ({
    topic,
    key,
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data,
    metadata: {
      tenantId: admin.tenantId,
      actorId: 'test',
      correlationId: randomUUID(),
      occurredAt: new Date().toISOString(),
    },
  });

  it('keeps roles, assignments, groups, words and an ordered tree; a move checks the tree revision', async () => {
    const role = await svc.call<Write>(
      'DefineRole',
      { roleId: 'risk', name: 'Risk director', scopes: ['customer_tags.*'] },
      admin,
    );
    expect(role.result).toMatchObject({ revision: '0', changed: true });
    await svc.call(
      'AssignRole',
      {
        assignmentId: 'a1',
        roleId: 'risk',
        subject: { employeeId: 'zs' },
        expiresAt: '2030-01-01T00:00:00+08:00',
      },
      admin,
    );
    await svc.call(
      'DefinePermissionGroup',
      { groupId: 'pg', name: 'VIP', tagIds: ['t1'], tagGroupIds: ['g1'] },
      admin,
    );
    await svc.call(
      'UpsertSensitiveWord',
      { wordId: 'w1', word: '身份证', category: 'pii', fields: ['remark'] },
      admin,
    );
    await svc.call('AddRule', rule('r1'), admin);
    await svc.call(
      'AddRule',
      rule('r2', { effect: 'RULE_EFFECT_DENY', subject: { employeeId: 'zs' } }),
      admin,
    );
    const top = await svc.call<Write>('AddRule', rule('r3', { subject: { roleId: 'risk' } }), admin);
    await svc.call('AddRule', { ...rule('r0'), position: 0 }, admin);

    const tree = await svc.call<Tree>(
      'GetPermissionTree',
      { consistencyToken: top.result.consistencyToken },
      admin,
    );
    await eventually(async () => {
      const t = await svc.call<Tree>('GetPermissionTree', {}, admin);
      expect(t.rules.map((r) => r.ruleId)).toEqual(['r0', 'r1', 'r2', 'r3']);
    });
    const current = await svc.call<Tree>('GetPermissionTree', {}, admin);
    expect(Number(current.revision)).toBeGreaterThanOrEqual(Number(tree.revision));

    // Drag r1 to the bottom at the revision read; the same move at that (now stale) revision is ABORTED.
    const moved = await svc.call<Write>(
      'MoveRule',
      { ruleId: 'r1', position: 99, expectedRevision: current.revision },
      admin,
    );
    expect(moved.result.changed).toBe(true);
    const stale = await svc.failure(
      'MoveRule',
      { ruleId: 'r2', position: 0, expectedRevision: current.revision },
      admin,
    );
    expect([stale.code, stale.field]).toEqual([status.ABORTED, 'expected_revision']);
    const after = await svc.call<Tree>(
      'GetPermissionTree',
      { consistencyToken: moved.result.consistencyToken },
      admin,
    );
    expect(after.rules.map((r) => [r.ruleId, r.position])).toEqual([
      ['r0', 0],
      ['r2', 1],
      ['r3', 2],
      ['r1', 3],
    ]);

    const { assignments } = await svc.call<{ assignments: { expiresAt: string; subject: object }[] }>(
      'ListRoleAssignments',
      { consistencyToken: moved.result.consistencyToken },
      admin,
    );
    expect(assignments).toEqual([
      expect.objectContaining({ expiresAt: '2029-12-31T16:00:00.000Z', subject: { employeeId: 'zs' } }),
    ]);
    const { words } = await svc.call<{ words: { word: string; fields: string[] }[] }>(
      'ListSensitiveWords',
      {},
      admin,
    );
    expect(words).toEqual([expect.objectContaining({ word: '身份证', fields: ['remark'] })]);
  }, 60_000);

  it('refuses bad input naming the field and writes nothing', async () => {
    const cases: [string, object, string][] = [
      ['DefineRole', { roleId: 'x', name: 'X', scopes: ['customer_tags.fly'] }, 'scopes[0]'],
      ['DefineRole', { roleId: '', name: 'X', scopes: [] }, 'role_id'],
      ['AssignRole', { assignmentId: 'a', roleId: 'nope', subject: { employeeId: 'zs' } }, 'role_id'],
      ['AddRule', rule('r', { effect: 'RULE_EFFECT_UNSPECIFIED' }), 'effect'],
      ['AddRule', rule('r', { subject: undefined }), 'subject'],
      ['AddRule', rule('r', { resource: { tagId: '' } }), 'resource.tag_id'],
      ['AddRule', { ...rule('r'), position: -1 }, 'position'],
      ['Freeze', { actorId: 'zs', reason: 'x', until: 'tomorrow' }, 'until'],
      // Date.parse rolled it over to March 3 (D125).
      ['Freeze', { actorId: 'zs', reason: 'x', until: '2026-02-31T00:00:00Z' }, 'until'],
      ['MoveRule', { ruleId: 'ghost', position: 0 }, 'rule_id'],
      ['ListRoles', { pageToken: 'garbage' }, 'page_token'],
      // A NUL in the cursor reached PostgreSQL (INTERNAL before).
      [
        'ListRoles',
        { pageToken: Buffer.from(JSON.stringify(['\u0000'])).toString('base64url') },
        'page_token',
      ],
    ];
    for (const [method, request, field] of cases) {
      const failed = await svc.failure(method, request, admin);
      expect([method, failed.field]).toEqual([method, field]);
      expect([status.INVALID_ARGUMENT, status.FAILED_PRECONDITION, status.NOT_FOUND]).toContain(failed.code);
    }
    const marker = await svc.call<Write>('DefineRole', { roleId: 'marker', name: 'M', scopes: [] }, admin);
    const { roles } = await svc.call<{ roles: { roleId: string }[] }>(
      'ListRoles',
      { consistencyToken: marker.result.consistencyToken },
      admin,
    );
    expect(roles.map((r) => r.roleId)).toEqual(['marker']);
    const tree = await svc.call<Tree>('GetPermissionTree', {}, admin);
    expect(tree).toEqual({ rules: [], revision: '-1' });
  }, 60_000);

  it('binds an idempotency key to its request, and lets only one of two concurrent writers at one revision win', async () => {
    const key = randomUUID();
    const request = { roleId: 'r', name: 'Role', scopes: ['*'], idempotencyKey: key };
    const first = await svc.call<Write>('DefineRole', request, admin);
    expect(await svc.call<Write>('DefineRole', request, admin)).toEqual(first);
    const other = await svc.failure('DefineRole', { ...request, name: 'Other' }, admin);
    expect([other.code, other.field]).toEqual([status.INVALID_ARGUMENT, 'idempotency_key']);

    await svc.call('AddRule', rule('a'), admin);
    const b = await svc.call<Write>('AddRule', rule('b'), admin);
    const { revision } = await svc.call<Tree>(
      'GetPermissionTree',
      { consistencyToken: b.result.consistencyToken },
      admin,
    );
    const outcomes = await Promise.allSettled([
      svc.call('MoveRule', { ruleId: 'a', position: 1, expectedRevision: revision }, admin),
      svc.call('MoveRule', { ruleId: 'b', position: 0, expectedRevision: revision }, admin),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect((refused.reason as { code: number }).code).toBe(status.ABORTED);
  }, 60_000);

  it('keeps tenants apart and asks for tenant_admin or a role whose scope covers policy.manage', async () => {
    const other = PermissionServiceHarness.admin();
    const mine = await svc.call<Write>('DefineRole', { roleId: 'same', name: 'Mine', scopes: [] }, admin);
    const theirs = await svc.call<Write>(
      'DefineRole',
      { roleId: 'same', name: 'Theirs', scopes: ['policy.manage'] },
      other,
    );
    expect(theirs.result.revision).toBe('0');
    const { roles } = await svc.call<{ roles: { name: string }[] }>(
      'ListRoles',
      { consistencyToken: mine.result.consistencyToken },
      admin,
    );
    expect(roles.map((r) => r.name)).toEqual(['Mine']);

    const clerk = { tenantId: other.tenantId, actorId: 'clerk', roles: [] };
    expect((await svc.failure('DefineRole', { roleId: 'x', name: 'X', scopes: [] }, clerk)).code).toBe(
      status.PERMISSION_DENIED,
    );
    const assigned = await svc.call<Write>(
      'AssignRole',
      { assignmentId: 'c', roleId: 'same', subject: { employeeId: 'clerk' } },
      other,
    );
    await svc.check(
      'Check',
      { action: 'customer_tags.view', tagId: 't', atLeastAsFresh: assigned.result.consistencyToken },
      clerk,
    );
    expect(
      (await svc.call<Write>('DefineRole', { roleId: 'x', name: 'X', scopes: [] }, clerk)).result.changed,
    ).toBe(true);
    // The clerk asks about someone else only with that role, and never about another tenant's policy.
    expect(
      (
        await svc.failure(
          'Check',
          { subject: { employeeId: 'zs' }, action: 'customer_tags.view', tagId: 't' },
          { ...clerk, tenantId: admin.tenantId },
          'CheckService',
        )
      ).code,
    ).toBe(status.PERMISSION_DENIED);
  }, 60_000);

  it('decides a check at least as fresh as a freeze (new enemy), and is UNAVAILABLE for a token it has not reached', async () => {
    type Decided = {
      decision: { allowed: boolean; snapshot: string; levels: { level: string; outcome: string }[] };
    };
    // zs acts with tenant_admin: before the freeze, an edit passes.
    const edit = (atLeastAsFresh = '') =>
      svc.check<Decided>(
        'Check',
        {
          subject: { employeeId: 'zs', roles: ['tenant_admin'] },
          action: 'customer_tags.edit',
          tagId: 't1',
          atLeastAsFresh,
        },
        admin,
      );
    await publisher.publish([
      message(TAG_EVENTS_TOPIC_V1, 'tag.created.v1', 't1', {
        tenantId: admin.tenantId,
        revision: '0',
        tagId: 't1',
        name: 'VIP客户',
        kind: 'customer',
        nodeType: 'tag',
        parentId: null,
      }),
    ]);
    await eventually(async () => expect((await edit()).decision.allowed).toBe(true), 30_000, 200);
    const frozen = await svc.call<Write>('Freeze', { actorId: 'zs', reason: 'deleted VIP客户' }, admin);
    // Asked at once with the freeze's token: never the stale copy's ALLOW.
    const { decision } = await edit(frozen.result.consistencyToken);
    expect(decision.allowed).toBe(false);
    expect(BigInt(decision.snapshot)).toBeGreaterThanOrEqual(BigInt(frozen.result.consistencyToken));
    expect(decision.levels[0]).toMatchObject({ level: 'freeze', outcome: 'OUTCOME_DENY' });
    const thawed = await svc.call<Write>('Unfreeze', { actorId: 'zs', reason: 'reviewed' }, admin);
    expect((await edit(thawed.result.consistencyToken)).decision.allowed).toBe(true);
    const future = (BigInt(frozen.result.consistencyToken) + (1n << 80n)).toString();
    const late = await svc.failure(
      'Check',
      { action: 'customer_tags.view', tagId: 't1', atLeastAsFresh: future },
      admin,
      'CheckService',
    );
    expect([late.code, late.field]).toEqual([status.UNAVAILABLE, 'at_least_as_fresh']);
    const bad = await svc.failure(
      'Check',
      { action: 'customer_tags.view', tagId: 't1', atLeastAsFresh: 'x/y' },
      admin,
      'CheckService',
    );
    expect([bad.code, bad.field]).toEqual([status.INVALID_ARGUMENT, 'at_least_as_fresh']);
  }, 60_000);

  it('refuses every policy write of a frozen actor, their own Unfreeze included; another admin lifts the freeze', async () => {
    const zs: Caller = { ...admin, actorId: 'zs' };
    await svc.call<Write>('Freeze', { actorId: 'zs', reason: 'deleted VIP客户' }, admin);
    for (const [method, request] of [
      ['DefineRole', { roleId: 'all', name: 'A', scopes: ['*'] }],
      ['Unfreeze', { actorId: 'zs', reason: 'me' }],
    ] as const) {
      const refused = await svc.failure(method, request, zs);
      expect([method, refused.code, refused.details]).toEqual([
        method,
        status.PERMISSION_DENIED,
        expect.stringContaining('actor zs is frozen (manual: deleted VIP客户)'),
      ]);
    }
    const { roles } = await svc.call<{ roles: unknown[] }>('ListRoles', {}, zs);
    expect(roles).toEqual([]);
    await svc.call<Write>('Unfreeze', { actorId: 'zs', reason: 'reviewed' }, admin);
    expect(
      (await svc.call<Write>('DefineRole', { roleId: 'all', name: 'A', scopes: ['*'] }, zs)).result,
    ).toMatchObject({
      changed: true,
    });
  }, 60_000);

  it('lists only the freezes and assignments that still hold at the request time (D82)', async () => {
    // Far enough for six writes and the first listing on a loaded CI machine, before it passes.
    const soon = new Date(Date.now() + 4_000).toISOString();
    await svc.call<Write>(
      'DefineRole',
      { roleId: 'viewer', name: 'V', scopes: ['customer_tags.view'] },
      admin,
    );
    for (const [assignmentId, expiresAt] of [
      ['a-soon', soon],
      ['a-kept', ''],
    ])
      await svc.call<Write>(
        'AssignRole',
        { assignmentId, roleId: 'viewer', subject: { employeeId: 'zs' }, expiresAt },
        admin,
      );
    await svc.call<Write>('Freeze', { actorId: 'zs', reason: 'until soon', until: soon }, admin);
    const last = await svc.call<Write>('Freeze', { actorId: 'ls', reason: 'open-ended' }, admin);
    const listed = async () => {
      const at = { consistencyToken: last.result.consistencyToken };
      const { freezes } = await svc.call<{ freezes: { actorId: string }[] }>('ListFreezes', at, admin);
      const { assignments } = await svc.call<{ assignments: { assignmentId: string }[] }>(
        'ListRoleAssignments',
        at,
        admin,
      );
      return [freezes.map((f) => f.actorId), assignments.map((a) => a.assignmentId)];
    };
    expect(await listed()).toEqual([
      ['ls', 'zs'],
      ['a-kept', 'a-soon'],
    ]);
    await new Promise((r) => setTimeout(r, Date.parse(soon) - Date.now() + 100));
    expect(await listed()).toEqual([['ls'], ['a-kept']]);

    // RemoveRole (D80): refused while a rule names the role; with cascade the rule and a-kept go too.
    await svc.call<Write>('AddRule', rule('by-viewer', { subject: { roleId: 'viewer' } }), admin);
    const refused = await svc.failure('RemoveRole', { roleId: 'viewer' }, admin);
    expect([refused.code, refused.field]).toEqual([status.FAILED_PRECONDITION, 'cascade']);
    expect(refused.details).toContain('by-viewer');
    const removed = await svc.call<Write>('RemoveRole', { roleId: 'viewer', cascade: true }, admin);
    const at = { consistencyToken: removed.result.consistencyToken };
    const after = await svc.call<{ assignments: unknown[] }>('ListRoleAssignments', at, admin);
    const tree = await svc.call<{ rules: unknown[] }>('GetPermissionTree', at, admin);
    expect([after.assignments, tree.rules]).toEqual([[], []]);
  }, 60_000);

  it('never takes the roles a caller claims for itself: claiming tenant_admin lists no restricted tag', async () => {
    const tag = (tagId: string, revision: string) =>
      message(TAG_EVENTS_TOPIC_V1, 'tag.created.v1', tagId, {
        tenantId: admin.tenantId,
        revision,
        tagId,
        name: tagId,
        kind: 'customer',
        nodeType: 'tag',
        parentId: null,
      });
    const restricted = message(TAG_EVENTS_TOPIC_V1, 'tag.visibility_changed.v1', 'secret', {
      tenantId: admin.tenantId,
      revision: '2',
      tagId: 'secret',
      visibility: { scope: 'restricted', departments: [], roles: [], members: [] },
      sensitive: false,
    });
    await publisher.publish([tag('open', '0'), tag('secret', '1'), restricted]);
    const list = (caller: Caller, subject: object) =>
      svc.check<{ tagIds: string[] }>('LookupResources', { subject, action: 'customer_tags.view' }, caller);
    const clerk = { tenantId: admin.tenantId, actorId: 'clerk', roles: [] };
    // Both tags are in the copy (tenant_admin sees them) and the visibility too (the clerk does not).
    await eventually(
      async () => {
        expect((await list(admin, { employeeId: 'zs', roles: ['tenant_admin'] })).tagIds).toEqual([
          'open',
          'secret',
        ]);
        expect((await list(clerk, { employeeId: 'clerk' })).tagIds).toEqual(['open']);
      },
      30_000,
      200,
    );
    expect((await list(clerk, {})).tagIds).toEqual(['open']);
    // The escalation: the clerk about itself, claiming tenant_admin, is refused, for every CheckService call.
    for (const [method, request] of [
      [
        'LookupResources',
        { subject: { employeeId: 'clerk', roles: ['tenant_admin'] }, action: 'customer_tags.view' },
      ],
      ['LookupResources', { subject: { roles: ['tenant_admin'] }, action: 'customer_tags.view' }],
      [
        'Check',
        {
          subject: { employeeId: 'clerk', roles: ['tenant_admin'] },
          action: 'customer_tags.view',
          tagId: 'secret',
        },
      ],
      [
        'BatchCheck',
        {
          items: [
            {
              subject: { employeeId: 'clerk', roles: ['tenant_admin'] },
              action: 'customer_tags.view',
              tagId: 'secret',
            },
          ],
        },
      ],
    ] as const)
      expect((await svc.failure(method, request, clerk, 'CheckService')).code).toBe(status.PERMISSION_DENIED);
  }, 60_000);

  it('publishes fat events whose position is the write token', async () => {
    const kafka = new Kafka({
      clientId: 'permission-e2e-reader',
      brokers: testInfra().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({ groupId: `permission-e2e-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: PERMISSION_EVENTS_TOPIC_V1, fromBeginning: true });
    const seen: { key: string; partition: number; value: Record<string, unknown> }[] = [];
    await consumer.run({
      eachMessage: async ({ partition, message: m }) => {
        seen.push({
          key: m.key!.toString(),
          partition,
          value: JSON.parse(m.value!.toString()) as Record<string, unknown>,
        });
      },
    });
    try {
      const written = await svc.call<Write>('Freeze', { actorId: 'ww', reason: 'manual' }, admin);
      const found = await eventually(
        () => {
          const hit = seen.find((s) => s.value['tenantId'] === admin.tenantId && s.value['actorId'] === 'ww');
          expect(hit).toBeDefined();
          return hit!;
        },
        30_000,
        200,
      );
      expect(JSON.stringify(found.value)).toContain(`"position":"${written.result.consistencyToken}"`);
      expect(JSON.stringify(found.value)).toContain('"source":"manual"');

      // D83: every event of a tenant (a freeze, a role, an assignment, a rule and the order) travels on
      // one partition in store order, so a copy's highest folded position is a watermark for all of them.
      await svc.call<Write>('DefineRole', { roleId: 'viewer', name: 'V', scopes: ['*'] }, admin);
      const assignment = { assignmentId: 'a1', roleId: 'viewer', subject: { employeeId: 'ww' } };
      await svc.call<Write>('AssignRole', assignment, admin);
      const last = await svc.call<Write>('AddRule', rule('r1'), admin);
      const mine = await eventually(
        () => {
          const list = seen.filter((s) => s.value['tenantId'] === admin.tenantId);
          expect(list.map((s) => s.value['position'])).toContain(last.result.consistencyToken);
          return list;
        },
        30_000,
        200,
      );
      expect(mine).toHaveLength(5);
      expect(new Set(mine.map((s) => s.partition)).size).toBe(1);
      expect(new Set(mine.map((s) => s.key))).toEqual(new Set([admin.tenantId]));
      const positions = mine.map((s) => BigInt(String(s.value['position'])));
      expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    } finally {
      await consumer.disconnect();
    }
  }, 60_000);

  it('keeps local copies of the directory and the tags, and turns tag-service freezes into freezes once', async () => {
    const d = (id: string, parentId: string | null, revision: string) =>
      message(
        DIRECTORY_EVENTS_TOPIC_V1,
        'directory.department_upserted.v1',
        `${admin.tenantId}/department/${id}`,
        {
          tenantId: admin.tenantId,
          revision,
          departmentId: id,
          name: id,
          parentId,
          order: 0,
          leaderIds: [],
        },
      );
    const emp = message(
      DIRECTORY_EVENTS_TOPIC_V1,
      'directory.employee_upserted.v1',
      `${admin.tenantId}/employee/zs`,
      {
        tenantId: admin.tenantId,
        revision: '0',
        employeeId: 'zs',
        name: 'zs',
        departmentIds: ['d2'],
        mainDepartmentId: 'd2',
        position: '',
        status: 'active',
        leaderInDepartmentIds: [],
      },
    );
    const tag = (tagId: string, parentId: string | null, nodeType: string, revision: string) =>
      message(TAG_EVENTS_TOPIC_V1, 'tag.created.v1', tagId, {
        tenantId: admin.tenantId,
        revision,
        tagId,
        name: tagId,
        kind: 'customer',
        nodeType,
        parentId,
      });
    await publisher.publish([d('d1', null, '0'), d('d2', 'd1', '1'), emp]);
    await publisher.publish([tag('g1', null, 'group', '0'), tag('t1', 'g1', 'tag', '1')]);
    const added = await svc.call<Write>('AddRule', rule('r1', { effect: 'RULE_EFFECT_DENY' }), admin);

    // r1 denies department d1 (starred: and below) on tag group g1: zs (in d2, below d1) on t1 (in g1) is
    // denied only if both copies hold those parents; ls (not in the directory's d1) is not.
    type Decided = { decision: { allowed: boolean; levels: { level: string; decidedBy: string[] }[] } };
    const view = (employeeId: string) =>
      svc.check<Decided>(
        'Check',
        {
          subject: { employeeId },
          action: 'customer_tags.view',
          tagId: 't1',
          atLeastAsFresh: added.result.consistencyToken,
        },
        admin,
      );
    await eventually(
      async () => {
        const { decision } = await view('zs');
        expect(decision.allowed).toBe(false);
        expect(decision.levels.find((l) => l.level === 'department_inheritance')!.decidedBy).toContain('r1');
        // Each tag is its own key on the topics: the group g1 may arrive after t1 (ls is in no directory).
        const { tagIds } = await svc.check<{ tagIds: string[] }>(
          'LookupResources',
          { subject: { employeeId: 'ls' }, action: 'customer_tags.view' },
          admin,
        );
        expect(tagIds).toEqual(['g1', 't1']);
      },
      30_000,
      200,
    );
    expect((await view('ls')).decision.allowed).toBe(true);
    const { employeeIds } = await svc.check<{ employeeIds: string[] }>(
      'LookupSubjects',
      { tagId: 't1', action: 'customer_tags.view' },
      admin,
    );
    expect(employeeIds).toEqual([]);
    const first = await svc.check<{ tagIds: string[]; nextPageToken: string }>(
      'LookupResources',
      { subject: { employeeId: 'ls' }, action: 'customer_tags.view', pageSize: 1 },
      admin,
    );
    const second = await svc.check<{ tagIds: string[]; nextPageToken: string }>(
      'LookupResources',
      {
        subject: { employeeId: 'ls' },
        action: 'customer_tags.view',
        pageSize: 1,
        pageToken: first.nextPageToken,
      },
      admin,
    );
    expect([first.tagIds, second.tagIds, second.nextPageToken]).toEqual([['g1'], ['t1'], '']);
    const batch = await svc.check<{ decisions: { allowed: boolean }[] }>(
      'BatchCheck',
      {
        items: ['zs', 'ls'].map((employeeId) => ({
          subject: { employeeId },
          action: 'customer_tags.view',
          tagId: 't1',
        })),
      },
      admin,
    );
    expect(batch.decisions.map((d) => d.allowed)).toEqual([false, true]);
    const empty = await svc.failure('BatchCheck', { items: [] }, admin, 'CheckService');
    expect([empty.code, empty.field]).toEqual([status.INVALID_ARGUMENT, 'items']);
    const { tree } = await svc.check<{
      tree: { kind: string; children: { label: string; rules: { ruleId: string }[] }[] };
    }>('Expand', { tagId: 't1', action: 'customer_tags.view' }, admin);
    expect(tree.kind).toBe('all_of');
    expect(
      tree.children.find((c) => c.label === 'department inheritance')!.rules.map((r) => r.ruleId),
    ).toEqual(['r1']);

    const frozen = message(TAG_EVENTS_TOPIC_V1, 'tag.operator_frozen.v1', admin.tenantId, {
      tenantId: admin.tenantId,
      revision: '7',
      actorId: 'zs',
      operationId: 'op1',
      reason: 'bulk delete',
    });
    await publisher.publish([frozen]);
    const listed = await eventually(
      async () => {
        const { freezes } = await svc.call<{
          freezes: { actorId: string; source: string; revision: string }[];
        }>('ListFreezes', {}, admin);
        expect(freezes).toEqual([
          expect.objectContaining({ actorId: 'zs', source: 'FREEZE_SOURCE_TAG_SERVICE' }),
        ]);
        return freezes[0]!;
      },
      30_000,
      200,
    );
    // The same tag-service event again (a redelivery) writes nothing: the freeze keeps its revision. A
    // marker on the same key (so the same partition, consumed after the duplicate) shows it was consumed.
    await publisher.publish([{ ...frozen, eventId: randomUUID() }]);
    await publisher.publish([
      message(TAG_EVENTS_TOPIC_V1, 'tag.operator_frozen.v1', admin.tenantId, {
        tenantId: admin.tenantId,
        revision: '8',
        actorId: 'marker',
        operationId: 'op2',
        reason: 'marker',
      }),
    ]);
    const freezes = await eventually(
      async () => {
        const { freezes } = await svc.call<{ freezes: { actorId: string; revision: string }[] }>(
          'ListFreezes',
          {},
          admin,
        );
        expect(freezes.map((f) => f.actorId)).toContain('marker');
        return freezes;
      },
      30_000,
      100,
    );
    expect(freezes.find((f) => f.actorId === 'zs')!.revision).toBe(listed.revision);
    // Nor anything unlisted: the next write to zs's freeze stream comes right after tag-service's one.
    const next = await svc.call<Write>('Freeze', { actorId: 'zs', reason: 'reviewed' }, admin);
    expect(next.result.revision).toBe(String(BigInt(listed.revision) + 1n));
  }, 90_000);
});
