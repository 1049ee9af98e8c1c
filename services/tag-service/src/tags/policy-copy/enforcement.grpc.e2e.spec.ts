import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import {
  DIRECTORY_EVENTS_TOPIC_V1,
  directoryEventKeyV1,
  PERMISSION_EVENTS_TOPIC_V1,
  permissionEventKeyV1,
  type DirectoryIntegrationEventV1,
  type PermissionIntegrationEventV1,
} from '@tagguard/contracts';
import { KafkaTransport, type MessagePublisher } from '@tagguard/messaging';
import { eventually, testInfra } from '@tagguard/testing';
import { customer, TagServiceHarness, type Caller } from '../../testing/tag-service-harness';

type Tag = { tagId: string; name: string; description: string; visibility: { restricted: boolean } };
type Result = { result: { consistencyToken: string } };

// tag-service as its own process on real Kafka and PostgreSQL. The test publishes directory events (as
// sync-service does) and permission events on permission-service's public topic (as permission-service
// does), then reads over gRPC as a guest of an unrelated department, a permitted seller and a director.
describe('tag-service enforces the permission policy on every tag read (Kafka → policy copy → engine → gRPC)', () => {
  let svc: TagServiceHarness;
  let transport: KafkaTransport;
  let publisher: MessagePublisher;
  let admin: Caller;
  let guest: Caller;
  let seller: Caller;
  let director: Caller;
  let tenantId: string;
  let position = 0;

  const envelope = (topic: string, key: string, type: string, data: object) => ({
    topic,
    key,
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data,
    metadata: {
      tenantId,
      actorId: 'system:test',
      correlationId: randomUUID(),
      occurredAt: new Date().toISOString(),
    },
  });
  const directory = (...events: DirectoryIntegrationEventV1[]) =>
    publisher.publish(
      events.map((e) => envelope(DIRECTORY_EVENTS_TOPIC_V1, directoryEventKeyV1(e), e.type, e.data)),
    );
  const policy = (...events: PermissionIntegrationEventV1[]) =>
    publisher.publish(
      events.map((e) => envelope(PERMISSION_EVENTS_TOPIC_V1, permissionEventKeyV1(e), e.type, e.data)),
    );
  const base = (revision = 0) => ({ tenantId, revision: String(revision), position: String(++position) });
  const department = (departmentId: string, parentId: string | null) =>
    ({
      type: 'directory.department_upserted.v1',
      data: { tenantId, revision: '0', departmentId, name: departmentId, parentId, order: 0 },
    }) as DirectoryIntegrationEventV1;
  const employee = (employeeId: string, departmentId: string) =>
    ({
      type: 'directory.employee_upserted.v1',
      data: {
        tenantId,
        revision: '0',
        employeeId,
        name: employeeId,
        departmentIds: [departmentId],
        mainDepartmentId: departmentId,
        position: '',
        status: 'active',
        leaderInDepartmentIds: [],
      },
    }) satisfies DirectoryIntegrationEventV1;

  const get = (id: string, who: Caller) =>
    svc.call<{ tag: Tag }>('tags', 'GetTag', { tagId: id }, who).then((r) => r.tag);
  const listAll = async (who: Caller, request: object = {}) => {
    const out: Tag[] = [];
    let pageToken = '';
    do {
      const page = await svc.call<{ tags: Tag[]; nextPageToken: string }>(
        'tags',
        'ListTags',
        { pageSize: 2, pageToken, includeDeleted: true, ...request },
        who,
      );
      out.push(...page.tags);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  };
  const ids = (tags: { tagId: string }[]) => tags.map((t) => t.tagId).sort();
  /** The failure of a read, with the tag id taken out of the message: an invisible and an absent id must match. */
  const notFound = async (
    service: 'tags' | 'members' | 'timeMachine',
    method: string,
    request: object,
    who: Caller,
    id: string,
  ) => {
    const f = await svc.failure(service, method, request, who);
    return { ...f, details: f.details.replace(id, '<id>') };
  };

  /** One member taken away is critical (a restore waits for a second person); returns the undo. */
  const criticalAtOneMember = async () => {
    type Policy = { policy: Record<string, number> };
    const { policy: defaults } = await svc.call<Policy>('governance', 'GetPolicy', {}, admin);
    const set = (policy: Record<string, number>) =>
      svc.call('governance', 'ConfigurePolicy', { policy }, admin);
    await set({ ...defaults, warningThreshold: 1, criticalThreshold: 1 });
    return () => set(defaults);
  };

  let group: string;
  let vip: string;
  let open: string;
  let created: string;

  beforeAll(async () => {
    svc = await TagServiceHarness.start({ POLICY_REFRESH_MS: '100' });
    transport = new KafkaTransport({ clientId: 'enforcement-e2e', brokers: testInfra().kafkaBrokers });
    publisher = await transport.publisher();
    admin = TagServiceHarness.admin();
    tenantId = admin.tenantId;
    guest = { tenantId, actorId: 'guest', roles: [] };
    seller = { tenantId, actorId: 'seller', roles: [] };
    director = { tenantId, actorId: 'director', roles: [] };

    created = new Date(Date.now() - 1_000).toISOString();
    group = randomUUID();
    vip = randomUUID();
    open = randomUUID();
    await svc.call(
      'tags',
      'CreateTag',
      { tagId: group, name: '客户', kind: 'TAG_KIND_CUSTOMER', nodeType: 'TAG_NODE_TYPE_GROUP' },
      admin,
    );
    await svc.call(
      'tags',
      'CreateTag',
      { tagId: vip, name: 'VIP客户', kind: 'TAG_KIND_CUSTOMER', parentId: group, description: '高净值名单' },
      admin,
    );
    await svc.call(
      'tags',
      'CreateTag',
      { tagId: open, name: '普通客户', kind: 'TAG_KIND_CUSTOMER', parentId: group },
      admin,
    );
    await svc.call(
      'tags',
      'SetTagVisibility',
      {
        tagId: vip,
        visibility: {
          restricted: true,
          departments: [{ departmentId: 'sales', includeSubDepartments: true }],
          roles: ['risk_view'],
          memberIds: [],
        },
        sensitive: true,
      },
      admin,
    );
    await svc.call(
      'members',
      'AddMembers',
      { tagId: vip, members: [customer('wm-1'), customer('wm-2')] },
      admin,
    );

    await directory(
      department('hq', null),
      department('sales', 'hq'),
      department('ops', 'hq'),
      department('risk', 'hq'),
      employee('guest', 'ops'),
      employee('seller', 'sales'),
      employee('director', 'risk'),
    );
    await policy(
      {
        type: 'permission.role_changed.v1',
        data: {
          ...base(),
          roleId: 'viewer',
          name: '查看客户标签',
          scopes: ['customer_tags.view'],
          removed: false,
        },
      },
      {
        type: 'permission.role_changed.v1',
        data: {
          ...base(),
          roleId: 'risk_view',
          name: '风控',
          scopes: ['customer_tags.view', 'customer_fields.view'],
          removed: false,
        },
      },
      {
        type: 'permission.role_assignment_changed.v1',
        data: {
          ...base(),
          assignmentId: 'a-hq',
          roleId: 'viewer',
          subject: { kind: 'department', id: 'hq', includeSubDepartments: true },
          expiresAt: null,
          removed: false,
        },
      },
      {
        type: 'permission.role_assignment_changed.v1',
        data: {
          ...base(),
          assignmentId: 'a-dir',
          roleId: 'risk_view',
          subject: { kind: 'employee', id: 'director' },
          expiresAt: null,
          removed: false,
        },
      },
      {
        type: 'permission.sensitive_word_changed.v1',
        data: {
          ...base(),
          wordId: 'w-vip',
          word: 'vip',
          category: 'customer',
          fields: ['name'],
          removed: false,
        },
      },
    );
    // The copy has the policy once the seller sees the VIP tag's name masked (the word arrived last or not),
    // the director sees it unmasked and the guest sees the open tag: the events are keyed per object, so they
    // arrive over several partitions, in no order between them.
    await eventually(
      async () => {
        expect((await get(vip, seller)).name).toBe('***');
        expect((await get(vip, director)).name).toBe('VIP客户');
        expect((await get(open, guest)).name).toBe('普通客户');
      },
      30_000,
      100,
    );
  }, 90_000);
  afterAll(async () => {
    await publisher?.close();
    await transport?.close();
    await svc?.stop();
  });

  it('GetTag: the guest gets NOT_FOUND for the restricted tag, exactly as for an absent id; the seller sees it masked, the director unmasked', async () => {
    const absent = randomUUID();
    const invisible = await notFound('tags', 'GetTag', { tagId: vip }, guest, vip);
    expect(invisible).toMatchObject({ code: status.NOT_FOUND, field: 'tag_id', errorCode: 'TAG.NOT_FOUND' });
    expect(invisible).toEqual(await notFound('tags', 'GetTag', { tagId: absent }, guest, absent));
    expect(await get(open, guest)).toMatchObject({ name: '普通客户' });
    expect(await get(vip, seller)).toMatchObject({ name: '***', description: '高净值名单' });
    expect(await get(vip, director)).toMatchObject({ name: 'VIP客户', description: '高净值名单' });
    expect(await get(vip, admin)).toMatchObject({ name: 'VIP客户' });
  });

  it('ListTags: never lists the restricted tag to the guest, on any page, at the root or under its group; the seller gets it masked', async () => {
    expect(ids(await listAll(guest))).toEqual(ids([{ tagId: group }, { tagId: open }]));
    expect(ids(await listAll(guest, { parentId: group }))).toEqual([open]);
    expect(ids(await listAll(admin))).toEqual(ids([{ tagId: group }, { tagId: open }, { tagId: vip }]));
    const sellers = await listAll(seller, { parentId: group });
    expect(sellers.find((t) => t.tagId === vip)).toMatchObject({ name: '***' });
  });

  it("members: listing the restricted tag's members is NOT_FOUND for the guest (as for an absent tag); the seller lists them", async () => {
    const absent = randomUUID();
    const invisible = await notFound('members', 'ListMembers', { tagId: vip }, guest, vip);
    expect(invisible.code).toBe(status.NOT_FOUND);
    expect(invisible).toEqual(await notFound('members', 'ListMembers', { tagId: absent }, guest, absent));
    const page = await svc.call<{ members: { id: string }[] }>(
      'members',
      'ListMembers',
      { tagId: vip },
      seller,
    );
    expect(page.members.map((m) => m.id)).toEqual(['wm-1', 'wm-2']);
  });

  it('time machine: the as-of view, the tree and the diff leave the restricted tag and its members out for the guest', async () => {
    const absent = randomUUID();
    const invisible = await notFound('timeMachine', 'GetTagAsOf', { tagId: vip }, guest, vip);
    expect(invisible.code).toBe(status.NOT_FOUND);
    expect(invisible).toEqual(await notFound('timeMachine', 'GetTagAsOf', { tagId: absent }, guest, absent));
    const tree = await svc.call<{ nodes: { tag: Tag; members: string[] }[] }>(
      'timeMachine',
      'GetTreeAsOf',
      { includeMembers: true },
      guest,
    );
    expect(ids(tree.nodes.map((n) => n.tag))).toEqual(ids([{ tagId: group }, { tagId: open }]));
    expect(tree.nodes.flatMap((n) => n.members)).toEqual([]);
    const diff = await svc.call<{ changes: { tagId: string; members: string[] }[] }>(
      'timeMachine',
      'DiffTags',
      { from: { timestamp: created } },
      guest,
    );
    expect(diff.changes.length).toBeGreaterThan(0);
    expect(diff.changes.filter((c) => c.tagId === vip)).toEqual([]);
    const sellers = await svc.call<{ changes: { tagId: string; name: string; members: string[] }[] }>(
      'timeMachine',
      'DiffTags',
      { from: { timestamp: created } },
      seller,
    );
    expect(sellers.changes.filter((c) => c.tagId === vip).map((c) => c.name)).toContain('***');
    expect(sellers.changes.flatMap((c) => c.members)).toEqual(expect.arrayContaining(['customer:wm-1']));
    const asOf = await svc.call<{ tag: { tag: Tag; members: string[] } }>(
      'timeMachine',
      'GetTagAsOf',
      { tagId: vip },
      director,
    );
    expect(asOf.tag).toMatchObject({ tag: { name: 'VIP客户' }, members: ['customer:wm-1', 'customer:wm-2'] });
  });

  it('writes: the guest is refused a write on the restricted tag exactly as on an absent one; a policy change reaches reads (a deny rule hides the open tag, its removal shows it again)', async () => {
    const absent = randomUUID();
    const rename = (tagId: string) => svc.failure('tags', 'RenameTag', { tagId, name: 'x' }, guest);
    const onInvisible = await rename(vip);
    expect(onInvisible.code).toBe(status.PERMISSION_DENIED);
    expect(onInvisible).toEqual(await rename(absent));

    const rule = (revision: number, removed: boolean): PermissionIntegrationEventV1 => ({
      type: 'permission.rule_changed.v1',
      data: {
        ...base(revision),
        ruleId: 'deny-ops',
        effect: 'deny',
        subject: { kind: 'department', id: 'ops', includeSubDepartments: false },
        resource: { kind: 'tag', id: open },
        actions: [],
        starred: false,
        description: 'ops may not see 普通客户',
        removed,
      },
    });
    await policy(rule(0, false));
    await eventually(
      async () =>
        expect((await svc.failure('tags', 'GetTag', { tagId: open }, guest)).code).toBe(status.NOT_FOUND),
      30_000,
      100,
    );
    expect(ids(await listAll(guest))).toEqual([group]);
    await policy(rule(1, true));
    await eventually(async () => expect(await get(open, guest)).toMatchObject({ tagId: open }), 30_000, 100);
  });

  it('recycle bin: the deleted restricted tag is never listed to the guest; the seller sees the entry masked', async () => {
    const { result } = await svc.call<Result>(
      'tags',
      'DeleteTag',
      { tagId: vip, expectedRevision: '1' },
      admin,
    );
    type Bin = { entries: { tag: Tag }[] };
    const bin = (who: Caller) =>
      svc
        .call<Bin>('bin', 'ListRecycleBin', { consistencyToken: result.consistencyToken }, who)
        .then((b) => b.entries.map((e) => e.tag));
    expect(ids(await bin(admin))).toEqual([vip]);
    expect(await bin(seller)).toEqual([expect.objectContaining({ tagId: vip, name: '***' })]);
    expect(await bin(guest)).toEqual([]);
    const absent = randomUUID();
    const restore = (tagId: string) => svc.failure('bin', 'RestoreTag', { tagId }, guest);
    expect(await restore(vip)).toEqual(await restore(absent));
  });

  it('governance lists: sensitive operations, approvals and revert rules of restricted tags are never listed to the guest', async () => {
    const restrictedTag = async (name: string) => {
      const tagId = randomUUID();
      await svc.call('tags', 'CreateTag', { tagId, name, kind: 'TAG_KIND_CUSTOMER' }, admin);
      await svc.call(
        'tags',
        'SetTagVisibility',
        {
          tagId,
          visibility: {
            restricted: true,
            departments: [{ departmentId: 'sales', includeSubDepartments: true }],
            roles: [],
            memberIds: [],
          },
          sensitive: true,
        },
        admin,
      );
      return tagId;
    };
    const big = await restrictedTag('大客户');
    // The tenant is mirrored by now: the customers must be in the directory copy to be added.
    const people = Array.from({ length: 60 }, (_, i) => `big-${i}`);
    await directory(
      ...people.map(
        (externalUserId) =>
          ({
            type: 'directory.customer_upserted.v1',
            data: {
              tenantId,
              revision: '0',
              externalUserId,
              name: externalUserId,
              corpName: '',
              followers: [],
            },
          }) as DirectoryIntegrationEventV1,
      ),
    );
    await eventually(
      async () => {
        const added = await svc.call<{ result: { items: { outcome: string }[] } }>(
          'members',
          'AddMembers',
          { tagId: big, members: people.map((id) => customer(id)) },
          admin,
        );
        for (const item of added.result.items)
          expect(['ITEM_OUTCOME_OK', 'ITEM_OUTCOME_ALREADY_PRESENT']).toContain(item.outcome);
      },
      30_000,
      200,
    );
    await svc.call('tags', 'DeleteTag', { tagId: big, expectedRevision: '1' }, admin);
    const guarded = await restrictedTag('受保护客户');
    await svc.call(
      'tags',
      'SetTagProtection',
      { tagId: guarded, protected: true, expectedRevision: '1' },
      admin,
    );
    await svc.call('tags', 'DeleteTag', { tagId: guarded, expectedRevision: '2' }, admin);
    await svc.call(
      'governance',
      'DefineRevertRule',
      { rule: { tagId: guarded, type: 'REVERT_RULE_TYPE_REMOVAL_REQUIRES_ROLE', role: 'key_account' } },
      admin,
    );

    type Ops = { operations: { affected: { tagId: string }[] }[] };
    const operationsOn = (who: Caller) =>
      svc
        .call<Ops>('governance', 'ListSensitiveOperations', {}, who)
        .then((r) => r.operations.flatMap((o) => o.affected.map((t) => t.tagId)));
    await eventually(async () => expect(await operationsOn(admin)).toContain(big), 30_000, 100);
    expect(await operationsOn(seller)).toContain(big);
    expect(await operationsOn(guest)).not.toContain(big);
    const approvalsOn = (who: Caller) =>
      svc
        .call<{ approvals: { tagId: string }[] }>('governance', 'ListApprovals', {}, who)
        .then((r) => r.approvals.map((a) => a.tagId));
    expect(await approvalsOn(admin)).toEqual([guarded]);
    expect(await approvalsOn(guest)).toEqual([]);
    const rulesOn = (who: Caller) =>
      svc
        .call<{ rules: { tagId: string }[] }>('governance', 'ListRevertRules', {}, who)
        .then((r) => r.rules.map((x) => x.tagId));
    expect(await rulesOn(seller)).toEqual([guarded]);
    expect(await rulesOn(guest)).toEqual([]);
  });

  it('writes by an editor who may not see every tag (issue 12 item 3): move, name clash, bin, restore plans, automations, a frozen editor', async () => {
    const editor: Caller = { tenantId, actorId: 'editor', roles: [] };
    await directory(employee('editor', 'ops'));
    await policy(
      {
        type: 'permission.role_changed.v1',
        data: {
          ...base(),
          roleId: 'editor',
          name: '编辑客户标签',
          // A restore needs the edit scope of every kind (a tenant-wide write at the edge).
          scopes: ['customer_tags.edit', 'member_tags.edit', 'partner_tags.edit'],
          removed: false,
        },
      },
      {
        type: 'permission.role_assignment_changed.v1',
        data: {
          ...base(),
          assignmentId: 'a-editor',
          roleId: 'editor',
          subject: { kind: 'employee', id: 'editor' },
          expiresAt: null,
          removed: false,
        },
      },
    );
    const before = new Date().toISOString();
    const [room, secret, hidden, mine] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const make = (tagId: string, name: string, parentId: string, nodeType = 'TAG_NODE_TYPE_TAG') =>
      svc.call('tags', 'CreateTag', { tagId, name, kind: 'TAG_KIND_CUSTOMER', parentId, nodeType }, admin);
    await svc.call(
      'tags',
      'CreateTag',
      { tagId: room, name: '客户分区', kind: 'TAG_KIND_CUSTOMER', nodeType: 'TAG_NODE_TYPE_GROUP' },
      admin,
    );
    await make(secret, '机密分组', room, 'TAG_NODE_TYPE_GROUP');
    await make(hidden, '机密客户', room);
    for (const tagId of [secret, hidden])
      await svc.call(
        'tags',
        'SetTagVisibility',
        {
          tagId,
          visibility: {
            restricted: true,
            departments: [{ departmentId: 'sales', includeSubDepartments: true }],
            roles: [],
            memberIds: [],
          },
          sensitive: false,
        },
        admin,
      );
    // The editor's role has arrived once they may create a tag.
    await eventually(
      () =>
        svc.call(
          'tags',
          'CreateTag',
          { tagId: mine, name: '我的客户', kind: 'TAG_KIND_CUSTOMER', parentId: room },
          editor,
        ),
      30_000,
      200,
    );
    const without = (f: { details: string }, ...hide: string[]) =>
      hide.reduce((d, id) => d.replace(id, '<id>'), f.details);
    const absent = randomUUID();

    // MoveTag: an invisible destination answers as an absent one.
    const move = (parentId: string) => svc.failure('tags', 'MoveTag', { tagId: mine, parentId }, editor);
    const intoSecret = await move(secret);
    expect(intoSecret).toMatchObject({ code: status.NOT_FOUND, field: 'parent_id' });
    expect({ ...intoSecret, details: without(intoSecret, secret) }).toEqual({
      ...(await move(absent)),
      details: without(await move(absent), absent),
    });
    // A clash with an invisible sibling is refused without its id or its name.
    const clash = await svc.failure(
      'tags',
      'CreateTag',
      { tagId: randomUUID(), name: '机密客户', kind: 'TAG_KIND_CUSTOMER', parentId: room },
      editor,
    );
    expect(clash).toMatchObject({ code: status.ALREADY_EXISTS, field: 'name' });
    expect(clash.details).not.toContain(hidden);

    // Time machine: an invisible root is NOT_FOUND like an absent one; a restore that would change an
    // invisible tag is refused as a whole, naming none of them; one of visible tags only is planned.
    const plan = (rootId: string, method = 'PlanRestore') =>
      svc.failure('timeMachine', method, { rootId, asOf: { timestamp: before } }, editor);
    const onSecret = await plan(secret);
    expect(onSecret.code).toBe(status.NOT_FOUND);
    expect(without(onSecret, secret)).toEqual(without(await plan(absent), absent));
    for (const method of ['PlanRestore', 'RestoreToPoint']) {
      const refused = await plan(room, method);
      expect(refused.code).toBe(status.PERMISSION_DENIED);
      expect(refused.details).not.toContain(hidden);
      expect(refused.details).not.toContain('机密');
    }
    const own = await svc.call<{ changes: { tagId: string }[] }>(
      'timeMachine',
      'PlanRestore',
      { rootId: mine, asOf: { timestamp: before } },
      editor,
    );
    expect(own.changes.map((c) => c.tagId)).toEqual([mine]);

    // Recycle bin: the editor may not bin (or restore) a subtree holding tags they cannot see; the entry
    // the admin binned counts only the nodes the caller may see.
    const refusedDelete = await svc.failure('tags', 'DeleteTag', { tagId: room }, editor);
    expect(refusedDelete.code).toBe(status.PERMISSION_DENIED);
    expect(refusedDelete.details).not.toContain(hidden);
    const { result } = await svc.call<Result>('tags', 'DeleteTag', { tagId: room }, admin);
    type Bin = { entries: { tag: Tag; nodeCount: number }[] };
    const count = (who: Caller) =>
      svc
        .call<Bin>('bin', 'ListRecycleBin', { consistencyToken: result.consistencyToken }, who)
        .then((b) => b.entries.find((e) => e.tag.tagId === room)?.nodeCount);
    expect(await count(admin)).toBe(4);
    expect(await count(editor)).toBe(2);
    const refusedRestore = await svc.failure('bin', 'RestoreTag', { tagId: room }, editor);
    expect(refusedRestore.code).toBe(status.PERMISSION_DENIED);
    expect(refusedRestore.details).not.toContain(hidden);
    await svc.call('bin', 'RestoreTag', { tagId: room }, admin);

    // ListAutomations: a rule on an invisible tag is not listed.
    for (const tagId of [hidden, mine])
      await svc.call(
        'automations',
        'DefineAutomation',
        {
          automation: {
            ruleId: `follow-${tagId}`,
            tagId,
            assigneeId: 'editor',
            dueInHours: 1,
            guideTemplate: 'x',
          },
        },
        admin,
      );
    const rules = (who: Caller) =>
      svc
        .call<{ automations: { tagId: string }[] }>('automations', 'ListAutomations', {}, who)
        .then((r) => r.automations.map((a) => a.tagId));
    expect(await rules(admin)).toEqual(expect.arrayContaining([hidden, mine]));
    expect(await rules(editor)).toContain(mine);
    expect(await rules(editor)).not.toContain(hidden);

    // A manually frozen editor may not complete a follow-up task either (the freeze level runs for tasks.write).
    await policy({
      type: 'permission.freeze_changed.v1',
      data: { ...base(), actorId: 'editor', frozen: true, source: 'manual', reason: 'audit', until: null },
    });
    await eventually(
      async () =>
        expect(
          await svc.failure('automations', 'CompleteFollowUpTask', { taskId: randomUUID() }, editor),
        ).toMatchObject({ code: status.PERMISSION_DENIED, errorCode: 'TAG.OPERATOR_FROZEN' }),
      30_000,
      200,
    );
  }, 120_000);

  it('an approved restore runs only if its requester still sees every tag it changes (D84)', async () => {
    const restorer: Caller = { tenantId, actorId: 'restorer', roles: [] };
    await directory(employee('restorer', 'ops'), {
      type: 'directory.customer_upserted.v1',
      data: { tenantId, revision: '0', externalUserId: 'rs-1', name: 'rs-1', corpName: '', followers: [] },
    } as DirectoryIntegrationEventV1);
    await policy(
      {
        type: 'permission.role_changed.v1',
        data: {
          ...base(),
          roleId: 'restorer',
          name: '恢复',
          scopes: ['customer_tags.*', 'member_tags.edit', 'partner_tags.edit'],
          removed: false,
        },
      },
      {
        type: 'permission.role_assignment_changed.v1',
        data: {
          ...base(),
          assignmentId: 'a-restorer',
          roleId: 'restorer',
          subject: { kind: 'employee', id: 'restorer' },
          expiresAt: null,
          removed: false,
        },
      },
    );
    const tag = randomUUID();
    await svc.call('tags', 'CreateTag', { tagId: tag, name: '待恢复', kind: 'TAG_KIND_CUSTOMER' }, admin);
    await new Promise((r) => setTimeout(r, 50));
    const mark = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 50));
    const added = await eventually(
      async () => {
        const r = await svc.call<{ result: { consistencyToken: string; items: { outcome: string }[] } }>(
          'members',
          'AddMembers',
          { tagId: tag, members: [customer('rs-1')] },
          admin,
        );
        expect(['ITEM_OUTCOME_OK', 'ITEM_OUTCOME_ALREADY_PRESENT']).toContain(r.result.items[0]!.outcome);
        return r;
      },
      30_000,
      200,
    );
    // Under a policy where one member is critical, the restorer's restore waits for a second person.
    const undoPolicy = await criticalAtOneMember();
    const pending = await eventually(
      async () => {
        const r = await svc.call<{ pendingApproval?: { approvalId: string } }>(
          'timeMachine',
          'RestoreToPoint',
          { rootId: tag, asOf: { timestamp: mark } },
          restorer,
        );
        expect(r.pendingApproval).toBeDefined();
        return r.pendingApproval!;
      },
      30_000,
      200,
    );
    await undoPolicy();
    // Meanwhile a rule hides the tag from the restorer.
    await policy({
      type: 'permission.rule_changed.v1',
      data: {
        ...base(),
        ruleId: 'deny-restorer',
        effect: 'deny',
        subject: { kind: 'employee', id: 'restorer' },
        resource: { kind: 'tag', id: tag },
        actions: [],
        starred: false,
        description: '',
        removed: false,
      },
    });
    await eventually(
      async () =>
        expect((await svc.failure('tags', 'GetTag', { tagId: tag }, restorer)).code).toBe(status.NOT_FOUND),
      30_000,
      100,
    );
    const approved = await svc.failure(
      'governance',
      'ApproveOperation',
      { approvalId: pending.approvalId },
      admin,
    );
    expect(approved.code).toBe(status.PERMISSION_DENIED);
    expect(approved.details).not.toContain('待恢复');
    const { total } = await svc.call<{ total: number }>(
      'members',
      'ListMembers',
      { tagId: tag, consistencyToken: added.result.consistencyToken },
      admin,
    );
    expect(total).toBe(1);
  }, 120_000);

  it('a tenant-wide restore approval (no tag) is decided on the tenant resource: listed to a tenant admin, not to the guest', async () => {
    const undoPolicy = await criticalAtOneMember();
    const crowd = randomUUID();
    await svc.call('tags', 'CreateTag', { tagId: crowd, name: '人群', kind: 'TAG_KIND_CUSTOMER' }, admin);
    await new Promise((r) => setTimeout(r, 50));
    const mark = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 50));
    await directory({
      type: 'directory.customer_upserted.v1',
      data: {
        tenantId,
        revision: '0',
        externalUserId: 'crowd-1',
        name: 'crowd-1',
        corpName: '',
        followers: [],
      },
    } as DirectoryIntegrationEventV1);
    await eventually(
      async () => {
        const added = await svc.call<{ result: { items: { outcome: string }[] } }>(
          'members',
          'AddMembers',
          { tagId: crowd, members: [customer('crowd-1')] },
          admin,
        );
        expect(['ITEM_OUTCOME_OK', 'ITEM_OUTCOME_ALREADY_PRESENT']).toContain(added.result.items[0]!.outcome);
      },
      30_000,
      200,
    );
    // Back to the tag's state at the mark, tenant-wide: one member removed, critical under this policy.
    const restore = await svc.call<{ pendingApproval?: { approvalId: string; tagId: string } }>(
      'timeMachine',
      'RestoreToPoint',
      { asOf: { timestamp: mark } },
      admin,
    );
    await undoPolicy();
    expect(restore.pendingApproval).toMatchObject({ tagId: '' });
    const pending = (who: Caller) =>
      svc
        .call<{ approvals: { approvalId: string }[] }>('governance', 'ListApprovals', {}, who)
        .then((r) => r.approvals.map((a) => a.approvalId));
    expect(await pending(admin)).toContain(restore.pendingApproval!.approvalId);
    expect(await pending(guest)).not.toContain(restore.pendingApproval!.approvalId);
  });

  it('does not start blind: right after a restart (before its consumer has rejoined the group) the policy is enforced from its table', async () => {
    await svc.restart();
    // Read at once: the sensitive word and the roles come from policy_objects, not from Kafka.
    expect(await get(vip, seller)).toMatchObject({ name: '***' });
    expect(await get(vip, director)).toMatchObject({ name: 'VIP客户' });
    expect((await svc.failure('tags', 'GetTag', { tagId: vip }, guest)).code).toBe(status.NOT_FOUND);
  }, 60_000);
});
