import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '@tagguard/event-store';
import { PostgresCheckpointStore } from '@tagguard/messaging';
import { eventually, testInfra } from '@tagguard/testing';
import type { DataSource } from 'typeorm';
import { LocalCopies } from '../copies/local-copies';
import { tagChangeOf, type DirectoryChange } from '../copies/copy-rows';
import { encodePosition } from '../domain/position';
import { PolicyMemory } from '../engine/policy-memory';
import { PolicyViewProjection } from '../projections/policy-view/policy-view.projection';
import { openReadModel } from '../projections/policy-view/read-model';
import { assignmentStream, roleStream, treeStream } from '../streams';
import { assignmentsInMemory, PolicyCommands } from './policy-commands';
import { PolicyWriter } from './policy-writer';

// The one write path, the read model, the in-memory fold and the local copies on a real PostgreSQL.
describe('permission-service write side', () => {
  const schema = `perm_w_${randomUUID().slice(0, 8)}`;
  let store: PostgresEventStore;
  let db: DataSource;
  let checkpoints: PostgresCheckpointStore;
  beforeAll(async () => {
    store = await PostgresEventStore.connect({
      connectionString: testInfra().postgresUrl,
      schema: `${schema}_es`,
    });
    db = await openReadModel(testInfra().postgresUrl, schema, 2);
    checkpoints = await PostgresCheckpointStore.create(db, schema);
  });
  afterAll(async () => {
    await store?.close();
    await db?.destroy();
  });
  const meta = () => ({ tenantId: `t-${randomUUID().slice(0, 8)}`, actorId: 'admin' });
  const rule = (ruleId: string) => ({
    ruleId,
    effect: 'grant' as const,
    subject: { kind: 'employee' as const, id: 'zs' },
    resource: { kind: 'tag' as const, id: 't1' },
    actions: [],
    starred: false,
    description: '',
  });

  it('decides again after a concurrent append on the tree (stale cache), and an expected revision is checked first', async () => {
    const m = meta();
    const one = new PolicyCommands(new PolicyWriter(store));
    const two = new PolicyCommands(new PolicyWriter(store));
    await one.rule(m, { type: 'AddRule', data: { rule: rule('a'), by: 'x' } });
    await two.rule(m, { type: 'AddRule', data: { rule: rule('b'), by: 'x' } });
    // one's cache says the tree holds [a] at revision 1: its append conflicts, it reloads and decides on [a, b].
    const out = await one.rule(m, { type: 'AddRule', data: { rule: rule('c'), position: 1, by: 'x' } });
    expect(out).toMatchObject({ revision: 5, changed: true, eventsWritten: 2 });
    expect((await one.tree(m.tenantId)).order).toEqual(['a', 'c', 'b']);
    await expect(
      two.rule(m, { type: 'MoveRule', data: { ruleId: 'a', position: 9, by: 'x' } }, { expectedRevision: 3 }),
    ).rejects.toMatchObject({ code: 'PERMISSION.WRONG_EXPECTED_REVISION', field: 'expectedRevision' });
    const events = await store.readStream(treeStream(m.tenantId));
    expect(events.map((e) => e.type)).toEqual([
      'RuleChanged',
      'RulesReordered',
      'RuleChanged',
      'RulesReordered',
      'RuleChanged',
      'RulesReordered',
    ]);
  });

  it('removes a role with its assignments, refusing while rules name it unless with cascade (D80)', async () => {
    const m = meta();
    const writer = new PolicyWriter(store);
    const memory = new PolicyMemory(store);
    await memory.start();
    try {
      const commands = new PolicyCommands(writer, assignmentsInMemory(writer, memory));
      await commands.role(m, { type: 'DefineRole', data: { roleId: 'risk', name: 'Risk', scopes: ['*'] } });
      await commands.role(m, { type: 'DefineRole', data: { roleId: 'other', name: 'O', scopes: ['*'] } });
      const zs = { kind: 'employee' as const, id: 'zs' };
      for (const [assignmentId, roleId] of [
        ['a1', 'risk'],
        ['a2', 'risk'],
        ['a3', 'other'],
      ] as const)
        await commands.assignment(m, {
          type: 'AssignRole',
          data: { assignmentId, roleId, subject: zs, expiresAt: null },
        });
      const byRole = {
        ...rule('r1'),
        subject: { kind: 'role' as const, id: 'risk' },
      };
      await commands.rule(m, { type: 'AddRule', data: { rule: byRole, by: 'x' } });
      await commands.rule(m, { type: 'AddRule', data: { rule: rule('keep'), by: 'x' } });

      await expect(commands.removeRole(m, { roleId: 'risk', cascade: false })).rejects.toMatchObject({
        code: 'PERMISSION.FAILED_PRECONDITION',
        field: 'cascade',
        message: expect.stringContaining('r1'),
      });
      // Refused: nothing written anywhere.
      expect((await store.readStream(roleStream(m.tenantId, 'risk'))).map((e) => e.type)).toEqual([
        'RoleDefined',
      ]);
      expect((await store.readStream(assignmentStream(m.tenantId, 'a1'))).length).toBe(1);

      const out = await commands.removeRole(m, { roleId: 'risk', cascade: true });
      expect((await commands.tree(m.tenantId)).order).toEqual(['keep']);
      const ended = await store.readStream(assignmentStream(m.tenantId, 'a2'));
      expect(ended.map((e) => e.type)).toEqual(['RoleAssigned', 'RoleUnassigned']);
      expect((ended[1]!.data as { removed: boolean }).removed).toBe(true);
      expect((await store.readStream(assignmentStream(m.tenantId, 'a3'))).length).toBe(1);
      // The role's removal is the cascade's last write, and its token: a check at it sees the role, its
      // rules and holders gone.
      const removed = await store.readStream(roleStream(m.tenantId, 'risk'));
      expect(removed.map((e) => e.type)).toEqual(['RoleDefined', 'RoleRemoved']);
      expect(encodePosition(out.position!)).toBe(encodePosition(removed[1]!.position));
      await memory.folded.waitFor(encodePosition(out.position!), 10_000);
      const policy = memory.policy(m.tenantId);
      expect([...policy.assignments.keys()]).toEqual(['a3']);
      expect([...policy.rules.keys()]).toEqual(['keep']);
    } finally {
      await memory.stop();
    }
  });

  it('finishes a cascade cut short when retried with the same expected revision (D80)', async () => {
    const m = meta();
    const writer = new PolicyWriter(store);
    const memory = new PolicyMemory(store);
    await memory.start();
    try {
      const commands = new PolicyCommands(writer, assignmentsInMemory(writer, memory));
      // The process "fails" part-way: the first assignment's end is lost.
      const assign = commands.assignment.bind(commands);
      let failOnce = true;
      commands.assignment = async (meta, command, options) => {
        if (command.type === 'UnassignRole' && failOnce) {
          failOnce = false;
          throw new Error('connection lost');
        }
        return assign(meta, command, options);
      };
      const defined = await commands.role(m, {
        type: 'DefineRole',
        data: { roleId: 'risk', name: 'Risk', scopes: ['*'] },
      });
      await commands.assignment(m, {
        type: 'AssignRole',
        data: {
          assignmentId: 'a1',
          roleId: 'risk',
          subject: { kind: 'employee', id: 'zs' },
          expiresAt: null,
        },
      });
      await commands.rule(m, {
        type: 'AddRule',
        data: { rule: { ...rule('r1'), subject: { kind: 'role', id: 'risk' } }, by: 'x' },
      });
      const asked = { roleId: 'risk', cascade: true };
      const expected = { expectedRevision: defined.revision };
      await expect(commands.removeRole(m, asked, expected)).rejects.toThrow('connection lost');
      // The role still stands, so the same request is not stale: the retry finishes the cascade.
      await commands.removeRole(m, asked, expected);
      expect((await store.readStream(roleStream(m.tenantId, 'risk'))).map((e) => e.type)).toEqual([
        'RoleDefined',
        'RoleRemoved',
      ]);
      expect((await store.readStream(assignmentStream(m.tenantId, 'a1'))).map((e) => e.type)).toEqual([
        'RoleAssigned',
        'RoleUnassigned',
      ]);
      expect((await commands.tree(m.tenantId)).order).toEqual([]);
    } finally {
      await memory.stop();
    }
  });

  it('projects into the read model and folds into memory; a replayed batch changes neither', async () => {
    const m = meta();
    const commands = new PolicyCommands(new PolicyWriter(store));
    await commands.role(m, { type: 'DefineRole', data: { roleId: 'r', name: 'R', scopes: ['*'] } });
    const last = await commands.role(m, { type: 'RemoveRole', data: { roleId: 'r' } });
    const projection = new PolicyViewProjection(store, db, checkpoints, {}, `view-${randomUUID()}`);
    const memory = new PolicyMemory(store);
    await projection.start();
    await memory.start();
    try {
      await projection.folded.waitFor(encodePosition(last.position!), 10_000);
      await memory.folded.waitFor(encodePosition(last.position!), 10_000);
      expect(memory.policy(m.tenantId).roles.size).toBe(0);
      const rows = async () =>
        (await db.query(
          `SELECT kind, object_id, revision::text, data FROM "${schema}".policy_objects WHERE tenant_id = $1`,
          [m.tenantId],
        )) as { revision: string; data: { removed: boolean } }[];
      expect((await rows()).map((r) => [r.revision, r.data.removed])).toEqual([['1', true]]);
      // The older "defined" event delivered again (a replay) does not bring the role back.
      const history = (await store.readAll({ filter: { categories: ['permissionRole'] } })).filter(
        (e) => e.metadata.tenantId === m.tenantId,
      );
      await projection.apply([history[0]!]);
      expect((await rows()).map((r) => [r.revision, r.data.removed])).toEqual([['1', true]]);
    } finally {
      await projection.stop();
      await memory.stop();
    }
  });

  it('applies each copied tag event once: a redelivered or older one changes nothing', async () => {
    const copies = new LocalCopies(db, schema);
    const tenantId = `t-${randomUUID().slice(0, 8)}`;
    const created = tagChangeOf({
      type: 'tag.created.v1',
      data: {
        tenantId,
        revision: '3',
        tagId: 't1',
        name: 'VIP',
        kind: 'customer',
        nodeType: 'tag',
        parentId: 'g1',
      },
    });
    const restricted = tagChangeOf({
      type: 'tag.visibility_changed.v1',
      data: {
        tenantId,
        revision: '5',
        tagId: 't1',
        visibility: { scope: 'restricted', departments: [], roles: ['risk'], members: [] },
        sensitive: true,
      },
    });
    const older = tagChangeOf({
      type: 'tag.visibility_changed.v1',
      data: {
        tenantId,
        revision: '4',
        tagId: 't1',
        visibility: { scope: 'everyone', departments: [], roles: [], members: [] },
        sensitive: false,
      },
    });
    expect(await copies.applyTag(created)).toBe(true);
    const memory = await copies.tenant(tenantId);
    expect(await copies.applyTag(restricted)).toBe(true);
    expect(await copies.applyTag(restricted)).toBe(false);
    expect(await copies.applyTag(older)).toBe(false);
    expect(await copies.applyTag(created)).toBe(false);
    expect(memory.tag('t1')).toMatchObject({
      parentId: 'g1',
      sensitive: true,
      visibility: { restricted: true, roles: ['risk'] },
    });
    const binned = tagChangeOf({
      type: 'tag.deleted.v1',
      data: {
        tenantId,
        revision: '6',
        tagId: 't1',
        tagIds: ['t1'],
        deletedBy: 'x',
        purgeDueAt: '2027-01-01T00:00:00Z',
      },
    });
    expect(await copies.applyTag(binned)).toBe(true);
    expect(memory.tag('t1')).toBeUndefined();
    // A fresh process reads the same from the table.
    expect((await new LocalCopies(db, schema).tenant(tenantId)).tag('t1')).toBeUndefined();
  });

  it('applies each copied directory event once', async () => {
    const copies = new LocalCopies(db, schema);
    const tenantId = `t-${randomUUID().slice(0, 8)}`;
    const memory = await copies.tenant(tenantId);
    const zs = (revision: string, status: 'active' | 'disabled') =>
      ({
        kind: 'employee',
        tenantId,
        id: 'zs',
        revision,
        departmentIds: ['d2'],
        status,
      }) satisfies DirectoryChange;
    expect(
      await copies.applyDirectory({
        kind: 'department',
        tenantId,
        id: 'd2',
        revision: '1',
        removed: false,
        parentId: 'd1',
      }),
    ).toBe(true);
    expect(await copies.applyDirectory(zs('2', 'disabled'))).toBe(true);
    expect(await copies.applyDirectory(zs('1', 'active'))).toBe(false);
    expect(memory.employee('zs')).toEqual({ departmentIds: ['d2'], status: 'disabled' });
    expect(memory.parentOf('d2')).toBe('d1');
    expect(memory.mirrored).toBe(true);
  });

  it("refreshes another instance's memory with the rows the consumer wrote there", async () => {
    const tenantId = `t-${randomUUID().slice(0, 8)}`;
    const consuming = new LocalCopies(db, schema);
    const other = new LocalCopies(db, schema, 0);
    const before = await other.tenant(tenantId);
    expect(before.employee('zs')).toBeUndefined();
    await consuming.applyDirectory({
      kind: 'employee',
      tenantId,
      id: 'zs',
      revision: '0',
      departmentIds: ['d1'],
      status: 'active',
    });
    await eventually(async () => {
      expect((await other.tenant(tenantId)).employee('zs')).toEqual({
        departmentIds: ['d1'],
        status: 'active',
      });
    });
  });

  it('reads a stale copy once however many checks ask meanwhile, and keeps the objects of rows it already holds', async () => {
    const tenantId = `t-${randomUUID().slice(0, 8)}`;
    const copies = new LocalCopies(db, schema, 0); // every call finds the copy stale
    const zs = {
      kind: 'employee',
      tenantId,
      id: 'zs',
      revision: '0',
      departmentIds: ['d1'],
      status: 'active',
    } satisfies DirectoryChange;
    await copies.applyDirectory(zs);
    const held = (await copies.tenant(tenantId)).employee('zs');
    const query = jest.spyOn(db, 'query');
    try {
      // 200 checks at once on a stale copy: one background read, not one queued behind another per check.
      await Promise.all(Array.from({ length: 200 }, () => copies.tenant(tenantId)));
      // A write's refresh runs after the reads already queued; then the memory is quiet.
      await copies.applyDirectory({ ...zs, id: 'ls', revision: '1' });
      const reads = query.mock.calls.filter(([sql]) => /SELECT kind, object_id/.test(String(sql)));
      expect(reads.length).toBeLessThanOrEqual(3);
    } finally {
      query.mockRestore();
    }
    // zs was re-read from the overlap every time: the same version, so the same object (no new garbage).
    expect((await copies.tenant(tenantId)).employee('zs')).toBe(held);
    expect((await copies.tenant(tenantId)).employee('ls')).toEqual({
      departmentIds: ['d1'],
      status: 'active',
    });
  });
});
