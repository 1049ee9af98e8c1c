import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { DIRECTORY_EVENTS_TOPIC_V1, TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import { KafkaTransport, type IntegrationMessage, type MessagePublisher } from '@tagguard/messaging';
import { eventually, testInfra } from '@tagguard/testing';
import { PermissionServiceHarness, type Caller } from '../testing/permission-service-harness';

type Write = { result: { revision: string; consistencyToken: string } };
type Anomaly = {
  kind: string;
  upperRuleId: string;
  lowerRuleId: string;
  relation: string;
  example: { employeeId: string; lane: { tagId: string }; action: string };
};
type Change = {
  employeeIds: string[];
  lanes: { tagId: string }[];
  actions: string[];
  fromEffect: string;
  toEffect: string;
};
type Preview = {
  verdict: string;
  order: string[];
  changes: Change[];
  granted: string;
  revoked: string;
  truncated: boolean;
};
type Explained = {
  outcome: string;
  lanes: { groupId: string; path: { ruleId: string; role: string; position: number }[] }[];
};

const VIEW = 'customer_tags.view';

/**
 * The article's five-level customer-tag tree over real gRPC, Kafka and PostgreSQL: the directory and the
 * tags arrive as sync-service's and tag-service's events, the rules through PolicyService; the analysis
 * names the two starred department rules, the preview of dragging them to the bottom is "less permissive"
 * for exactly the customers the new risk director should not see, and after the move Check denies them.
 */
describe('tagguard.permission.v1 AnalysisService over gRPC', () => {
  let svc: PermissionServiceHarness;
  let transport: KafkaTransport;
  let publisher: MessagePublisher;
  let admin: Caller;
  beforeAll(async () => {
    svc = await PermissionServiceHarness.start();
    transport = new KafkaTransport({ clientId: 'analysis-e2e', brokers: testInfra().kafkaBrokers });
    publisher = await transport.publisher();
    admin = PermissionServiceHarness.admin();
  }, 60_000);
  afterAll(async () => {
    await publisher?.close();
    await transport?.close();
    await svc?.stop();
  });

  const analysis = <T>(method: string, request: object, caller: Caller = admin) =>
    svc.call<T>(method, request, caller, 'AnalysisService');
  const message = (topic: string, type: string, key: string, data: object): IntegrationMessage => ({
    topic,
    key,
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data: { tenantId: admin.tenantId, revision: '0', ...data },
    metadata: {
      tenantId: admin.tenantId,
      actorId: 'test',
      correlationId: randomUUID(),
      occurredAt: new Date().toISOString(),
    },
  });
  const department = (id: string, parentId: string | null) =>
    message(
      DIRECTORY_EVENTS_TOPIC_V1,
      'directory.department_upserted.v1',
      `${admin.tenantId}/department/${id}`,
      {
        departmentId: id,
        name: id,
        parentId,
        order: 0,
        leaderIds: [],
      },
    );
  const employee = (id: string, departmentId: string) =>
    message(DIRECTORY_EVENTS_TOPIC_V1, 'directory.employee_upserted.v1', `${admin.tenantId}/employee/${id}`, {
      employeeId: id,
      name: id,
      departmentIds: [departmentId],
      mainDepartmentId: departmentId,
      position: '',
      status: 'active',
      leaderInDepartmentIds: [],
    });
  const tag = (tagId: string, parentId: string | null, group: boolean) =>
    message(TAG_EVENTS_TOPIC_V1, 'tag.created.v1', tagId, {
      tagId,
      name: tagId,
      kind: 'customer',
      nodeType: group ? 'group' : 'tag',
      parentId,
    });
  const dept = (id: string) => ({ department: { departmentId: id, includeSubDepartments: false } });
  const grant = 'RULE_EFFECT_GRANT';
  const deny = 'RULE_EFFECT_DENY';

  it('names the two starred rules, previews their move to the bottom exactly, and the move hides the customers', async () => {
    // Customers (1) › region (2) › key accounts (3) › VIP (4) › customer (5).
    await publisher.publish([
      department('hq', null),
      department('risk', 'hq'),
      department('risk-east', 'risk'),
      department('sales', 'hq'),
      employee('director', 'risk-east'),
      employee('risk-analyst', 'risk-east'),
      employee('seller', 'sales'),
      tag('customers', null, true),
      tag('region-east', 'customers', true),
      tag('key-east', 'region-east', true),
      tag('vip-east', 'key-east', true),
      tag('c-east-vip-1', 'vip-east', false),
      tag('c-east-vip-2', 'vip-east', false),
      tag('c-east-key-1', 'key-east', false),
      tag('region-west', 'customers', true),
      tag('c-west-1', 'region-west', false),
    ]);
    const rules = [
      {
        ruleId: 'hq-sees-customers',
        effect: grant,
        subject: dept('hq'),
        resource: { tagGroupId: 'customers' },
        actions: [VIEW],
        starred: true,
      },
      {
        ruleId: 'risk-east-region',
        effect: grant,
        subject: dept('risk'),
        resource: { tagGroupId: 'region-east' },
        actions: [],
        starred: true,
      },
      {
        ruleId: 'director-no-vip-east',
        effect: deny,
        subject: { employeeId: 'director' },
        resource: { tagGroupId: 'vip-east' },
        actions: [VIEW],
        starred: true,
      },
      {
        ruleId: 'sales-edits-west',
        effect: grant,
        subject: dept('sales'),
        resource: { tagGroupId: 'region-west' },
        actions: ['customer_tags.edit'],
        starred: true,
      },
    ];
    let last: Write | undefined;
    for (const r of rules) last = await svc.call<Write>('AddRule', { ...r, description: r.ruleId }, admin);
    const token = last!.result.consistencyToken;

    // Why can he see an east VIP customer? Once the copies hold the directory and the tags: the HQ ★ grant decides.
    await eventually(
      async () => {
        const why = await analysis<Explained>('ExplainAccess', {
          employeeId: 'director',
          tagId: 'c-east-vip-1',
          action: VIEW,
          consistencyToken: token,
        });
        expect(why.outcome).toBe('TREE_OUTCOME_GRANT');
        expect(why.lanes[0]!.path.map((s) => [s.position, s.ruleId, s.role])).toEqual([
          [0, 'hq-sees-customers', 'PATH_ROLE_DECIDED'],
          [1, 'risk-east-region', 'PATH_ROLE_AGREES'],
          [2, 'director-no-vip-east', 'PATH_ROLE_OVERRIDDEN'],
        ]);
        // The copies are fed per key over partitions: the other facts read below must have arrived too.
        for (const [employeeId, tagId] of [
          ['director', 'c-east-vip-2'],
          ['director', 'c-east-key-1'],
          ['risk-analyst', 'c-east-vip-1'],
        ] as const) {
          const before = await svc.call<{
            decision: { allowed: boolean; levels: { level: string; decidedBy: string[] }[] };
          }>(
            'Check',
            { subject: { employeeId }, action: VIEW, tagId, atLeastAsFresh: token },
            admin,
            'CheckService',
          );
          expect(before.decision.allowed).toBe(true);
          // Granted by the HQ rule: the employee's departments and the tag's parents are in the copies (an
          // unknown employee is allowed too, by no rule at all).
          expect(
            before.decision.levels.find((l) => l.level === 'department_inheritance')!.decidedBy,
          ).toContain('hq-sees-customers');
        }
      },
      30_000,
      200,
    );
    const seen = await svc.call<{ decision: { allowed: boolean } }>(
      'Check',
      { subject: { employeeId: 'director' }, action: VIEW, tagId: 'c-east-vip-1' },
      admin,
      'CheckService',
    );
    expect(seen.decision.allowed).toBe(true);

    const { anomalies } = await analysis<{ anomalies: Anomaly[]; snapshot: string }>('AnalyzeConflicts', {
      ruleId: 'director-no-vip-east',
    });
    expect(anomalies.map((a) => [a.kind, a.upperRuleId, a.lowerRuleId, a.relation]).sort()).toEqual([
      ['ANOMALY_KIND_SHADOWING', 'hq-sees-customers', 'director-no-vip-east', 'SET_RELATION_SUBSET'],
      ['ANOMALY_KIND_SHADOWING', 'risk-east-region', 'director-no-vip-east', 'SET_RELATION_SUBSET'],
    ]);
    expect(anomalies[0]!.example.employeeId).toBe('director');

    const json = await analysis<{ contentType: string; content: string }>('ExportTree', {
      format: 'EXPORT_FORMAT_JSON',
    });
    const tree = JSON.parse(json.content) as { rules: { ruleId: string; marks: string[] }[] };
    expect(tree.rules.find((r) => r.ruleId === 'director-no-vip-east')!.marks).toEqual(['shadowed']);
    const dot = await analysis<{ contentType: string; content: string }>('ExportTree', {
      format: 'EXPORT_FORMAT_DOT',
    });
    expect(dot.contentType).toBe('text/vnd.graphviz');
    expect(dot.content).toContain('"risk-east-region" -> "director-no-vip-east" [color="#c62828"');
    const svg = await analysis<{ contentType: string; content: string }>('ExportTree', {
      format: 'EXPORT_FORMAT_SVG',
    });
    expect(svg.contentType).toBe('image/svg+xml');
    expect(svg.content).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);

    const moves = [
      { ruleId: 'hq-sees-customers', position: 99 },
      { ruleId: 'risk-east-region', position: 99 },
    ];
    const preview = await analysis<Preview>('PreviewReorder', { moves });
    expect(preview.verdict).toBe('REORDER_VERDICT_LESS_PERMISSIVE');
    expect(preview.order).toEqual([
      'director-no-vip-east',
      'sales-edits-west',
      'hq-sees-customers',
      'risk-east-region',
    ]);
    const pairs = preview.changes.flatMap((c) =>
      c.employeeIds.flatMap((e) =>
        c.lanes.flatMap((l) => c.actions.map((a) => `${e} ${l.tagId} ${a} ${c.fromEffect}→${c.toEffect}`)),
      ),
    );
    expect(pairs.sort()).toEqual(
      ['c-east-vip-1', 'c-east-vip-2', 'vip-east'].map(
        (t) => `director ${t} ${VIEW} RULE_EFFECT_GRANT→RULE_EFFECT_DENY`,
      ),
    );
    expect([preview.granted, preview.revoked, preview.truncated]).toEqual(['0', '3', false]);

    // The move itself (PolicyService), then the check denies exactly those customers and nothing is shadowed.
    let moved: Write | undefined;
    for (const m of moves) moved = await svc.call<Write>('MoveRule', m, admin);
    const after = moved!.result.consistencyToken;
    const view = async (employeeId: string, tagId: string) =>
      (
        await svc.call<{ decision: { allowed: boolean } }>(
          'Check',
          { subject: { employeeId }, action: VIEW, tagId, atLeastAsFresh: after },
          admin,
          'CheckService',
        )
      ).decision.allowed;
    expect(await view('director', 'c-east-vip-1')).toBe(false);
    expect(await view('director', 'c-east-key-1')).toBe(true);
    expect(await view('risk-analyst', 'c-east-vip-1')).toBe(true);
    const again = await analysis<{ anomalies: Anomaly[] }>('AnalyzeConflicts', { consistencyToken: after });
    expect(again.anomalies.filter((a) => a.kind === 'ANOMALY_KIND_SHADOWING')).toEqual([]);
    const identity = await analysis<Preview>('PreviewReorder', {
      moves: [{ ruleId: 'sales-edits-west', position: 0 }],
      consistencyToken: after,
    });
    expect(identity.verdict).toBe('REORDER_VERDICT_EQUIVALENT');
  }, 90_000);

  it('refuses bad input naming the field, and callers without policy.manage', async () => {
    const cases: [string, object, string][] = [
      ['PreviewReorder', { moves: [] }, 'moves'],
      ['PreviewReorder', { moves: [{ ruleId: 'ghost', position: 0 }] }, 'moves[0].rule_id'],
      ['PreviewReorder', { moves: [{ ruleId: 'hq-sees-customers', position: -1 }] }, 'moves[0].position'],
      ['ExportTree', {}, 'format'],
      ['ExplainAccess', { employeeId: 'director', tagId: 'c-east-vip-1', action: 'nonsense' }, 'action'],
      ['ExplainAccess', { employeeId: '', tagId: 'c-east-vip-1', action: VIEW }, 'employee_id'],
      ['AnalyzeConflicts', { ruleId: 'ghost' }, 'rule_id'],
      ['AnalyzeConflicts', { consistencyToken: 'not-a-token' }, 'consistency_token'],
    ];
    for (const [method, request, field] of cases) {
      const f = await svc.failure(method, request, admin, 'AnalysisService');
      expect([method, f.code, f.field]).toEqual([method, status.INVALID_ARGUMENT, field]);
    }
    const employee = { ...admin, actorId: 'seller', roles: [] };
    const denied = await svc.failure('AnalyzeConflicts', {}, employee, 'AnalysisService');
    expect(denied.code).toBe(status.PERMISSION_DENIED);
  });
});
