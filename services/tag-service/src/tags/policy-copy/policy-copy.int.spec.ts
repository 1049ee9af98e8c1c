import { randomUUID } from 'node:crypto';
import type { PermissionIntegrationEventV1 } from '@tagguard/contracts';
import { testInfra } from '@tagguard/testing';
import type { DataSource } from 'typeorm';
import { openReadModel } from '../read-model';
import { toPolicyRow } from './domain/policy-copy.rows';
import { PolicyCopy } from './policy-copy';

const rule = (tenantId: string, revision: number, effect: 'grant' | 'deny', removed = false) =>
  ({
    type: 'permission.rule_changed.v1',
    data: {
      tenantId,
      revision: String(revision),
      position: String(100 + revision),
      ruleId: 'r1',
      effect,
      subject: { kind: 'department', id: 'sales', includeSubDepartments: false },
      resource: { kind: 'tag', id: 't1' },
      actions: ['customer_tags.view'],
      starred: false,
      description: `rev ${revision}`,
      removed,
    },
  }) satisfies PermissionIntegrationEventV1;
const role = (tenantId: string, revision: number, scopes: string[]) =>
  ({
    type: 'permission.role_changed.v1',
    data: {
      tenantId,
      revision: String(revision),
      position: String(10 + revision),
      roleId: 'risk',
      name: 'risk',
      scopes,
      removed: false,
    },
  }) satisfies PermissionIntegrationEventV1;
const order = (tenantId: string, revision: number, ruleIds: string[]) =>
  ({
    type: 'permission.rules_reordered.v1',
    data: { tenantId, revision: String(revision), position: String(200 + revision), ruleIds, by: 'admin' },
  }) satisfies PermissionIntegrationEventV1;

describe('the policy copy on real PostgreSQL', () => {
  const schema = `polcopy_${randomUUID().slice(0, 8)}`;
  let db: DataSource;
  let tenantId: string;
  const apply = (copy: PolicyCopy, e: PermissionIntegrationEventV1) =>
    copy.apply(toPolicyRow(e.type, e.data));
  const rows = () =>
    db.query(
      `SELECT object_key, revision, position, type, data FROM "${schema}".policy_objects WHERE tenant_id = $1 ORDER BY object_key`,
      [tenantId],
    );

  beforeAll(async () => {
    db = await openReadModel(testInfra().postgresUrl, schema);
  });
  afterAll(async () => {
    await db?.query(`DROP SCHEMA "${schema}" CASCADE`);
    await db?.destroy();
  });
  beforeEach(() => {
    tenantId = `tenant-${randomUUID().slice(0, 8)}`;
  });

  it('is idempotent: the same events applied twice leave the same rows and the same policy, and the second pass changes nothing', async () => {
    const copy = new PolicyCopy(db, schema);
    const events = [
      role(tenantId, 0, ['customer_tags.view']),
      rule(tenantId, 0, 'grant'),
      order(tenantId, 0, ['r1']),
    ];
    const first = [];
    for (const e of events) first.push(await apply(copy, e));
    expect(first).toEqual([true, true, true]);
    const once = await rows();
    const policy = await copy.policy(tenantId);
    const second = [];
    for (const e of events) second.push(await apply(copy, e));
    expect(second).toEqual([false, false, false]);
    expect(await rows()).toEqual(once);
    expect(await copy.policy(tenantId)).toBe(policy);
    expect(once.map((r: { object_key: string }) => r.object_key)).toEqual([
      'role/risk',
      'rule-order/tree',
      'rule/r1',
    ]);
    expect(policy.rules.get('r1')).toMatchObject({ effect: 'grant' });
    expect(policy.order).toEqual(['r1']);
    expect(policy.position).toBe(200n);
  });

  it('ignores an event not newer than the copy (a replay after a later change, or a late older one), in the table and in memory', async () => {
    const copy = new PolicyCopy(db, schema);
    await copy.policy(tenantId); // held in memory from the start
    expect(await apply(copy, rule(tenantId, 5, 'deny'))).toBe(true);
    expect(await apply(copy, rule(tenantId, 2, 'grant'))).toBe(false);
    expect(await apply(copy, rule(tenantId, 5, 'grant'))).toBe(false);
    expect((await rows())[0]).toMatchObject({ revision: '5', data: { effect: 'deny' } });
    expect((await copy.policy(tenantId)).rules.get('r1')).toMatchObject({ effect: 'deny' });
    // A removal is kept as a tombstone: the older upsert replayed after it does not bring the rule back.
    expect(await apply(copy, rule(tenantId, 6, 'deny', true))).toBe(true);
    expect(await apply(copy, rule(tenantId, 5, 'deny'))).toBe(false);
    expect((await copy.policy(tenantId)).rules.has('r1')).toBe(false);
    expect(await new PolicyCopy(db, schema).policy(tenantId).then((p) => p.rules.has('r1'))).toBe(false);
  });

  it('does not start blind: a new process (a new copy over the same table) holds what the old one folded', async () => {
    const before = new PolicyCopy(db, schema);
    await apply(before, role(tenantId, 0, ['customer_tags.view']));
    await apply(before, role(tenantId, 1, ['customer_tags.view', 'customer_tags.edit']));
    await apply(before, rule(tenantId, 0, 'deny'));
    const after = new PolicyCopy(db, schema);
    const policy = await after.policy(tenantId);
    expect(policy.roles.get('risk')?.scopes).toEqual(['customer_tags.view', 'customer_tags.edit']);
    expect(policy.rules.get('r1')).toMatchObject({ effect: 'deny' });
    expect(policy.position).toBe(100n);
    // Replaying the whole topic into the restarted copy changes nothing.
    for (const e of [role(tenantId, 0, []), role(tenantId, 1, ['x']), rule(tenantId, 0, 'grant')])
      expect(await apply(after, e)).toBe(false);
    expect(await after.policy(tenantId)).toBe(policy);
  });

  it('another instance (which the consumer group did not give the message) folds the row in on its next refresh', async () => {
    const consumer = new PolicyCopy(db, schema);
    const other = new PolicyCopy(db, schema);
    await other.refresh();
    expect((await other.policy(tenantId)).rules.size).toBe(0);
    await apply(consumer, rule(tenantId, 0, 'deny'));
    expect((await other.policy(tenantId)).rules.size).toBe(0);
    await other.refresh();
    expect((await other.policy(tenantId)).rules.get('r1')).toMatchObject({ effect: 'deny' });
  });

  it('holds the positions permission-service really publishes (commit·2^64 + prepare, wider than a bigint)', async () => {
    const copy = new PolicyCopy(db, schema);
    const position = ((123_456n << 64n) + 7n).toString();
    expect(
      await apply(copy, {
        ...rule(tenantId, 0, 'deny'),
        data: { ...rule(tenantId, 0, 'deny').data, position },
      }),
    ).toBe(true);
    expect((await rows())[0]).toMatchObject({ position });
    expect((await copy.policy(tenantId)).position).toBe(BigInt(position));
    expect((await new PolicyCopy(db, schema).policy(tenantId)).position).toBe(BigInt(position));
  });

  describe('a straggler assignment of a role removed and defined again (D80)', () => {
    // editor defined (p1), removed (p2), a straggler assigned at p3 against the first definition and never
    // ended (its instance died), editor defined again (p4). The table keeps each object's latest row: the
    // removal's row is overwritten by the new definition, so only the events' definitions can tell.
    const editor = (t: string, position: number, revision: number, definedSince?: number) =>
      ({
        type: 'permission.role_changed.v1',
        data: {
          tenantId: t,
          revision: String(revision),
          position: String(position),
          roleId: 'editor',
          name: 'Editor',
          scopes: ['customer_tags.edit'],
          removed: definedSince === undefined,
          ...(definedSince === undefined ? {} : { definedSince }),
        },
      }) satisfies PermissionIntegrationEventV1;
    const toBob = (t: string, id: string, position: number, roleDefinedSince: number) =>
      ({
        type: 'permission.role_assignment_changed.v1',
        data: {
          tenantId: t,
          revision: '0',
          position: String(position),
          assignmentId: id,
          roleId: 'editor',
          subject: { kind: 'employee', id: 'bob' },
          expiresAt: null,
          removed: false,
          roleDefinedSince,
        },
      }) satisfies PermissionIntegrationEventV1;
    const history = (t: string) => [
      editor(t, 1, 0, 0),
      editor(t, 2, 1),
      toBob(t, 'a-bob', 3, 0),
      editor(t, 4, 2, 2),
    ];

    it('a copy loading the tenant (only the latest rows) does not hold it, and holds a fresh one', async () => {
      const consumer = new PolicyCopy(db, schema);
      for (const e of history(tenantId)) await apply(consumer, e);
      expect((await rows()).map((r: { object_key: string }) => r.object_key)).toEqual([
        'assignment/a-bob',
        'role/editor',
      ]);
      expect([...(await consumer.policy(tenantId)).assignments.keys()]).toEqual([]);
      const loaded = new PolicyCopy(db, schema);
      expect([...(await loaded.policy(tenantId)).assignments.keys()]).toEqual([]);
      await apply(consumer, toBob(tenantId, 'a-bob2', 5, 2));
      expect([...(await new PolicyCopy(db, schema).policy(tenantId)).assignments.keys()]).toEqual(['a-bob2']);
    });

    it('another instance folding the rows on refresh does not hold it either', async () => {
      const consumer = new PolicyCopy(db, schema);
      const other = new PolicyCopy(db, schema);
      await other.refresh();
      expect((await other.policy(tenantId)).assignments.size).toBe(0);
      for (const e of history(tenantId)) await apply(consumer, e);
      await other.refresh();
      expect((await other.policy(tenantId)).roles.has('editor')).toBe(true);
      expect([...(await other.policy(tenantId)).assignments.keys()]).toEqual([]);
    });
  });

  it('refuses a message missing what the fold needs, naming the field', () => {
    const bad = (data: object) => () =>
      toPolicyRow('permission.rule_changed.v1', { ...rule(tenantId, 0, 'grant').data, ...data });
    expect(bad({ revision: 'x' })).toThrow('"revision"');
    expect(bad({ position: 7 })).toThrow('"position"');
    expect(bad({ ruleId: '' })).toThrow('"ruleId"');
    expect(bad({ effect: 'maybe' })).toThrow('"effect"');
    expect(bad({ subject: { kind: 'team', id: 'x' } })).toThrow('"subject"');
    expect(() => toPolicyRow('permission.unknown.v1', {})).toThrow('unknown');
    const roleData = { ...rule(tenantId, 0, 'grant').data, roleId: 'editor', name: 'E', scopes: [] };
    expect(() => toPolicyRow('permission.role_changed.v1', { ...roleData, definedSince: '2' })).toThrow(
      '"definedSince"',
    );
  });
});
