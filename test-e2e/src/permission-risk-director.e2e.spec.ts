import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { eventually, freePort, startServiceProcess, testInfra, type ServiceProcess } from '@tagguard/testing';
import { startWeComSandbox, type WeComSandbox } from '@tagguard/wecom-sandbox';
import { serviceClient, signedMetadata, unary } from './support/callers';
import { startSyncAndTag, type WeComConnection } from './support/sync-and-tag';

type Write = { result: { consistencyToken: string } };
type Level = { level: string; outcome: string; decidedBy: string[] };
type Decision = { allowed: boolean; maskedFields: string[]; levels: Level[]; snapshot: string };
type Anomaly = { kind: string; upperRuleId: string; lowerRuleId: string; example: { employeeId: string } };
type Change = {
  employeeIds: string[];
  lanes: { tagId: string }[];
  actions: string[];
  fromEffect: string;
  toEffect: string;
};
type Preview = { verdict: string; changes: Change[]; granted: string; revoked: string };

const KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const VIEW = 'customer_tags.view';

/**
 * The article's scenario across the three services, each its own process on the shared PostgreSQL and
 * Kafka: sync-service pulls a five-level directory from the WeCom sandbox (a new risk director at the
 * fifth level), tag-service holds a five-level customer-tag tree with customers as members,
 * permission-service the roles and the ordered tree in which two starred department grants sit above the
 * director's personal deny. The director first sees the hidden customers in tag-service (the leak); the
 * analysis names the two starred rules, the preview of dragging them to the bottom is "less permissive"
 * for exactly those customers, the move is made, and tag-service — from its own policy copy — hides them.
 */
describe('the new risk director across sync-service, tag-service and permission-service', () => {
  const run = randomUUID().slice(0, 8);
  const tenantId = `tenant-${run}`;
  const admin = signedMetadata(tenantId);
  const director = signedMetadata(tenantId, 'risk-director', []);
  const analyst = signedMetadata(tenantId, 'risk-analyst', []);
  let sandbox: WeComSandbox;
  let sync: ServiceProcess;
  let tag: ServiceProcess;
  let permission: ServiceProcess;
  let tags: grpc.Client;
  let members: grpc.Client;
  let policy: grpc.Client;
  let check: grpc.Client;
  let analysis: grpc.Client;
  let rulesToken = '';

  // Customers (1) › 华东 (2) › 重点客户 (3) › VIP (4) › customer tags (5); and a western region beside it.
  const t = {
    customers: randomUUID(),
    east: randomUUID(),
    keyEast: randomUUID(),
    vipEast: randomUUID(),
    vip1: randomUUID(),
    vip2: randomUUID(),
    key1: randomUUID(),
    west: randomUUID(),
    west1: randomUUID(),
  };
  const hidden = [t.vipEast, t.vip1, t.vip2];
  const customerIds = ['wm-vip-1', 'wm-vip-2', 'wm-vip-3', 'wm-key-1', 'wm-west-1'];

  const getTag = (tagId: string, who: grpc.Metadata) =>
    unary<{ tag: { tagId: string } }>(tags, 'GetTag', { tagId }, who);
  const listIds = async (who: grpc.Metadata) => {
    const out: string[] = [];
    let pageToken = '';
    do {
      const page = await unary<{ tags: { tagId: string }[]; nextPageToken: string }>(
        tags,
        'ListTags',
        { pageSize: 4, pageToken },
        who,
      );
      out.push(...page.tags.map((x) => x.tagId));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out.sort();
  };
  const code = (p: Promise<unknown>) =>
    p.then(
      () => grpc.status.OK,
      (e: grpc.ServiceError) => e.code,
    );
  const decide = (employeeId: string, tagId: string, extra: object = {}) =>
    unary<{ decision: Decision }>(
      check,
      'Check',
      { subject: { employeeId }, action: VIEW, tagId, ...extra },
      admin,
    ).then((r) => r.decision);
  const dept = (departmentId: string) => ({ department: { departmentId, includeSubDepartments: false } });

  beforeAll(async () => {
    const corpId = `wwrisk${run}`;
    const callbackPort = await freePort();
    sandbox = await startWeComSandbox({
      host: '127.0.0.1',
      port: 0,
      corps: [
        {
          corpId,
          secret: 'e2e-secret',
          callback: {
            url: `http://127.0.0.1:${callbackPort}/wecom/callback`,
            token: 'e2e-token',
            encodingAesKey: KEY,
          },
        },
      ],
    });
    const user = (userid: string, department: number) => ({
      userid,
      name: userid,
      department: [department],
      order: [0],
      position: '',
      is_leader_in_dept: [0],
      main_department: department,
      status: 1 as const,
      enable: 1 as const,
    });
    // Five levels: 集团 › 风控中心 › 华东风控 › 上海风控 › 浦东风控组 (the new director's), and 销售部 under 集团.
    sandbox.admin(corpId).seed({
      departments: [
        { id: 1, name: '集团', parentid: 0, order: 1, department_leader: [] },
        { id: 2, name: '风控中心', parentid: 1, order: 1, department_leader: [] },
        { id: 3, name: '华东风控', parentid: 2, order: 1, department_leader: [] },
        { id: 4, name: '上海风控', parentid: 3, order: 1, department_leader: [] },
        { id: 5, name: '浦东风控组', parentid: 4, order: 1, department_leader: [] },
        { id: 6, name: '销售部', parentid: 1, order: 2, department_leader: [] },
      ],
      users: [user('risk-director', 5), user('risk-analyst', 5), user('seller', 6)],
      // The customers, followed by the seller (tag-service refuses a customer its directory copy lacks).
      externalContacts: customerIds.map((id) => ({
        external_userid: id,
        name: id,
        type: 2,
        gender: 1,
        corp_name: '客户公司',
        corp_full_name: '客户公司有限公司',
        position: '',
        follow_user: [
          {
            userid: 'seller',
            remark: '',
            description: '',
            createtime: 1_700_000_000,
            remark_corp_name: '',
            remark_mobiles: [],
            add_way: 1,
            oper_userid: 'seller',
            tags: [],
          },
        ],
      })),
      partners: [],
      linkedUsers: [],
    });
    const wecom: WeComConnection = {
      tenantId,
      corpId,
      secret: 'e2e-secret',
      baseUrl: sandbox.url,
      callbackToken: 'e2e-token',
      callbackAesKey: KEY,
      callbackPort,
    };
    const { postgresUrl, kafkaBrokers } = testInfra();
    const permissionPort = await freePort();
    // One after the other: services creating the shared topics at once race on Kafka's metadata.
    permission = await startServiceProcess(
      'permission-service',
      {
        GRPC_PORT: String(permissionPort),
        DATABASE_URL: postgresUrl,
        DATABASE_SCHEMA: `risk_${run}_perm`,
        EVENTSTORE_SCHEMA: `risk_${run}_perm_es`,
        KAFKA_BROKERS: kafkaBrokers.join(','),
      },
      90_000,
    );
    const started = await startSyncAndTag(`risk_${run}`, wecom);
    ({ sync, tag } = started);
    tags = serviceClient(started.tagAddress, 'tag');
    members = serviceClient(started.tagAddress, 'members');
    const at = `127.0.0.1:${permissionPort}`;
    [policy, check, analysis] = [
      serviceClient(at, 'policy'),
      serviceClient(at, 'check'),
      serviceClient(at, 'analysis'),
    ];

    const create = (tagId: string, name: string, parentId: string | undefined, group: boolean) =>
      unary(
        tags,
        'CreateTag',
        {
          tagId,
          name,
          kind: 'TAG_KIND_CUSTOMER',
          ...(group ? { nodeType: 'TAG_NODE_TYPE_GROUP' } : {}),
          ...(parentId ? { parentId } : {}),
        },
        admin,
      );
    await create(t.customers, '客户', undefined, true);
    await create(t.east, '华东', t.customers, true);
    await create(t.keyEast, '华东重点客户', t.east, true);
    await create(t.vipEast, '华东VIP', t.keyEast, true);
    await create(t.vip1, 'VIP-上海', t.vipEast, false);
    await create(t.vip2, 'VIP-杭州', t.vipEast, false);
    await create(t.key1, '重点-南京', t.keyEast, false);
    await create(t.west, '华西', t.customers, true);
    await create(t.west1, '华西-成都', t.west, false);
    const customer = (id: string) => ({ kind: 'MEMBER_KIND_CUSTOMER', id, attributes: {} });
    for (const [tagId, ids] of [
      [t.vip1, ['wm-vip-1', 'wm-vip-2']],
      [t.vip2, ['wm-vip-3']],
      [t.key1, ['wm-key-1']],
      [t.west1, ['wm-west-1']],
    ] as const)
      await eventually(
        async () => {
          const added = await unary<{ result: { items: { outcome: string }[] } }>(
            members,
            'AddMembers',
            { tagId, members: ids.map(customer) },
            admin,
          );
          for (const i of added.result.items)
            expect(['ITEM_OUTCOME_OK', 'ITEM_OUTCOME_ALREADY_PRESENT']).toContain(i.outcome);
        },
        60_000,
        250,
      );

    // Viewing customer tags is a role of the whole group (with sub-departments).
    await unary(policy, 'DefineRole', { roleId: 'viewer', name: '查看客户标签', scopes: [VIEW] }, admin);
    await unary(
      policy,
      'AssignRole',
      {
        assignmentId: 'group-viewers',
        roleId: 'viewer',
        subject: { department: { departmentId: '1', includeSubDepartments: true } },
      },
      admin,
    );
    await unary(
      policy,
      'UpsertSensitiveWord',
      { wordId: 'w-id', word: '身份证', category: 'pii', fields: ['remark'] },
      admin,
    );
    const rules = [
      // ★ 集团 sees every customer; ★ 风控中心 sees the eastern region; the director's own deny on the VIPs.
      {
        ruleId: 'group-sees-customers',
        effect: 'RULE_EFFECT_GRANT',
        subject: dept('1'),
        resource: { tagGroupId: t.customers },
        actions: [VIEW],
        starred: true,
      },
      {
        ruleId: 'risk-sees-east',
        effect: 'RULE_EFFECT_GRANT',
        subject: dept('2'),
        resource: { tagGroupId: t.east },
        actions: [],
        starred: true,
      },
      {
        ruleId: 'director-no-vip',
        effect: 'RULE_EFFECT_DENY',
        subject: { employeeId: 'risk-director' },
        resource: { tagGroupId: t.vipEast },
        actions: [VIEW],
        starred: true,
      },
    ];
    for (const r of rules)
      rulesToken = (await unary<Write>(policy, 'AddRule', { ...r, description: r.ruleId }, admin)).result
        .consistencyToken;
  }, 180_000);

  afterAll(async () => {
    for (const c of [tags, members, policy, check, analysis]) c?.close();
    await Promise.all([sync?.stop('SIGTERM'), tag?.stop('SIGTERM'), permission?.stop('SIGTERM')]);
    await sandbox?.close();
  });

  it('the cross-department request passes the four levels in order, with its trace', async () => {
    // The seller (销售部) asks for an eastern key-account customer: the ★ 集团 grant reaches him downward.
    const d = await eventually(
      async () => {
        const decision = await decide('seller', t.key1, { fields: { remark: '客户身份证号码' } });
        expect(decision.allowed).toBe(true);
        // The role alone allows as soon as it is folded; the ★ grant needs permission-service's copies of
        // the directory and the tags too, which arrive on their own topics (seen in CI: allowed, with
        // department_inheritance still NOT_APPLICABLE).
        expect(decision.levels[1]).toMatchObject({
          level: 'department_inheritance',
          outcome: 'OUTCOME_ALLOW',
        });
        return decision;
      },
      60_000,
      250,
    );
    expect(d.levels.map((l) => [l.level, l.outcome])).toEqual([
      ['freeze', 'OUTCOME_NOT_APPLICABLE'],
      ['department_inheritance', 'OUTCOME_ALLOW'],
      ['role_scope', 'OUTCOME_ALLOW'],
      ['tag_visibility', 'OUTCOME_ALLOW'],
      ['sensitive_words', 'OUTCOME_MASKED'],
    ]);
    expect(d.levels[1]!.decidedBy).toEqual(['group-sees-customers']);
    expect(d.levels[2]!.decidedBy).toContain('viewer');
    expect(d.maskedFields).toEqual(['remark']);
    expect(BigInt(d.snapshot)).toBeGreaterThan(0n);
  }, 90_000);

  it('the director sees the hidden customers; the analysis, the preview, the move; then tag-service hides them', async () => {
    // The leak: tag-service (from its own copies of the directory and the policy) shows him the VIPs.
    await eventually(
      async () => {
        expect((await getTag(t.vip1, director)).tag.tagId).toBe(t.vip1);
        expect(await listIds(director)).toEqual(Object.values(t).sort());
      },
      60_000,
      250,
    );
    const leaked = await unary<{ members: { id: string }[] }>(
      members,
      'ListMembers',
      { tagId: t.vip1 },
      director,
    );
    expect(leaked.members.map((m) => m.id).sort()).toEqual(['wm-vip-1', 'wm-vip-2']);
    // The analysis reads permission-service's copies of the directory and the tags, fed per key over
    // partitions: wait until the director's departments and each hidden tag's parents have arrived (the ★
    // group grant reaches him on each; an unknown employee or tag is allowed by no rule at all).
    await eventually(
      async () => {
        for (const id of hidden) {
          const d = await decide('risk-director', id, { atLeastAsFresh: rulesToken });
          expect(d.allowed).toBe(true);
          expect(d.levels.find((l) => l.level === 'department_inheritance')!.decidedBy).toContain(
            'group-sees-customers',
          );
        }
      },
      60_000,
      250,
    );

    const { anomalies } = await unary<{ anomalies: Anomaly[] }>(
      analysis,
      'AnalyzeConflicts',
      { ruleId: 'director-no-vip', consistencyToken: rulesToken },
      admin,
    );
    expect(anomalies.map((a) => [a.kind, a.upperRuleId, a.lowerRuleId]).sort()).toEqual([
      ['ANOMALY_KIND_SHADOWING', 'group-sees-customers', 'director-no-vip'],
      ['ANOMALY_KIND_SHADOWING', 'risk-sees-east', 'director-no-vip'],
    ]);
    expect(anomalies.map((a) => a.example.employeeId)).toEqual(['risk-director', 'risk-director']);

    const moves = [
      { ruleId: 'group-sees-customers', position: 99 },
      { ruleId: 'risk-sees-east', position: 99 },
    ];
    const preview = await unary<Preview>(
      analysis,
      'PreviewReorder',
      { moves, consistencyToken: rulesToken },
      admin,
    );
    expect(preview.verdict).toBe('REORDER_VERDICT_LESS_PERMISSIVE');
    const pairs = preview.changes.flatMap((c) =>
      c.employeeIds.flatMap((e) =>
        c.lanes.flatMap((l) => c.actions.map((a) => `${e} ${l.tagId} ${a} ${c.fromEffect}→${c.toEffect}`)),
      ),
    );
    expect(pairs.sort()).toEqual(
      hidden.map((id) => `risk-director ${id} ${VIEW} RULE_EFFECT_GRANT→RULE_EFFECT_DENY`).sort(),
    );
    expect([preview.granted, preview.revoked]).toEqual(['0', '3']);

    let moved: Write | undefined;
    for (const m of moves) moved = await unary<Write>(policy, 'MoveRule', m, admin);
    const token = moved!.result.consistencyToken;
    expect((await decide('risk-director', t.vip1, { atLeastAsFresh: token })).allowed).toBe(false);

    // tag-service folds the move from permission-service's topic: the VIPs are now as absent to him.
    await eventually(
      async () => expect(await code(getTag(t.vip1, director))).toBe(grpc.status.NOT_FOUND),
      30_000,
      100,
    );
    for (const id of hidden) expect(await code(getTag(id, director))).toBe(grpc.status.NOT_FOUND);
    expect(await code(unary(members, 'ListMembers', { tagId: t.vip1 }, director))).toBe(
      grpc.status.NOT_FOUND,
    );
    const visible = Object.values(t).filter((id) => !hidden.includes(id));
    expect(await listIds(director)).toEqual(visible.sort());
    expect((await getTag(t.key1, director)).tag.tagId).toBe(t.key1);
    // His colleague in the same fifth-level department keeps the VIPs; the admin sees everything.
    expect((await getTag(t.vip1, analyst)).tag.tagId).toBe(t.vip1);
    expect(await listIds(admin)).toEqual(Object.values(t).sort());
  }, 120_000);

  // The new-enemy problem across services: a revocation in permission-service, then at once a read in
  // tag-service carrying the revocation's token (metadata `tg-policy-token`) is decided on a policy copy
  // that has folded it — never on the copy from before.
  it('a read carrying permission-service’s token is decided after the revocation; a token not reached is UNAVAILABLE', async () => {
    await eventually(async () => expect((await getTag(t.vip1, analyst)).tag.tagId).toBe(t.vip1), 30_000, 100);
    const revoked = await unary<Write>(
      policy,
      'AddRule',
      {
        ruleId: 'analyst-revoked',
        effect: 'RULE_EFFECT_DENY',
        subject: { employeeId: 'risk-analyst' },
        resource: { tagId: t.vip1 },
        actions: [VIEW],
        starred: false,
        description: 'revoked',
        position: 0,
      },
      admin,
    );
    const withToken = (md: grpc.Metadata, token: string) => {
      const m = md.clone();
      m.set('tg-policy-token', token);
      return m;
    };
    const token = revoked.result.consistencyToken;
    expect((await decide('risk-analyst', t.vip1, { atLeastAsFresh: token })).allowed).toBe(false);
    expect(await code(getTag(t.vip1, withToken(analyst, token)))).toBe(grpc.status.NOT_FOUND);
    expect(await code(unary(members, 'ListMembers', { tagId: t.vip1 }, withToken(analyst, token)))).toBe(
      grpc.status.NOT_FOUND,
    );
    expect((await getTag(t.vip2, withToken(analyst, token))).tag.tagId).toBe(t.vip2);

    const failure = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: grpc.ServiceError) => [e.code, e.metadata.get('tg-field')[0]],
      );
    const far = (BigInt(token) + (1n << 70n)).toString();
    expect(await failure(getTag(t.vip2, withToken(analyst, far)))).toEqual([
      grpc.status.UNAVAILABLE,
      'tg-policy-token',
    ]);
    expect(await failure(getTag(t.vip2, withToken(analyst, 'not-a-token')))).toEqual([
      grpc.status.INVALID_ARGUMENT,
      'tg-policy-token',
    ]);
  }, 60_000);
});
