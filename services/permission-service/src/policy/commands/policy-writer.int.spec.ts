import { randomUUID } from 'node:crypto';
import {
  comparePositions,
  PostgresEventStore,
  type GlobalPosition,
  type Target,
} from '@tagguard/event-store';
import { check } from '@tagguard/permission-engine';
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

/**
 * The seam that interleaves two instances deterministically: a writer that hands each read of a stream
 * (after reading it, before answering) to `afterRead`, which may hold it or fail it.
 */
class SeamWriter extends PolicyWriter {
  afterRead?: (stream: string) => Promise<void> | void;

  /** Holds the next read of `stream` until released. */
  holdAfterReading(stream: string): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const hit = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.afterRead = async (read) => {
      if (read !== stream) return;
      this.afterRead = undefined;
      reached();
      await released;
    };
    return { reached: hit, release };
  }

  /** Holds a later read of `stream` (the `skip`-th after the next) before it reads, until released. */
  holdBeforeReading(stream: string, skip: number): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const hit = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.beforeRead = async (read) => {
      if (read !== stream || skip-- > 0) return;
      this.beforeRead = undefined;
      reached();
      await released;
    };
    return { reached: hit, release };
  }

  beforeRead?: (stream: string) => Promise<void> | void;

  override async state<S, C, E extends { type: string; data: unknown }>(target: Target<S, C, E>): Promise<S> {
    await this.beforeRead?.(target.stream);
    const state = await super.state(target);
    await this.afterRead?.(target.stream);
    return state;
  }
}

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
      'RulesReordered',
      'RuleChanged',
      'RulesReordered',
      'RuleChanged',
      'RulesReordered',
      'RuleChanged',
    ]);
  });

  it("answers an added rule's revision as the one its next UpdateRule expects (the order and the rule are one append)", async () => {
    const m = meta();
    const commands = new PolicyCommands(new PolicyWriter(store));
    await commands.rule(m, { type: 'AddRule', data: { rule: rule('a'), by: 'x' } });
    const added = await commands.rule(m, { type: 'AddRule', data: { rule: rule('b'), by: 'x' } });
    expect(added).toMatchObject({ revision: 3, changed: true });
    const updated = await commands.rule(
      m,
      { type: 'UpdateRule', data: { rule: { ...rule('b'), description: 'changed' } } },
      { expectedRevision: added.revision },
    );
    expect(updated).toMatchObject({ revision: 4, changed: true });
    expect((await commands.tree(m.tenantId)).rules['b']!.revision).toBe(4);
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
  describe('AssignRole racing RemoveRole on another instance (D80)', () => {
    const editor = { roleId: 'editor', name: 'Editor', scopes: ['customer_tags.*'] };
    const assign = (assignmentId: string, employeeId: string) => ({
      type: 'AssignRole' as const,
      data: {
        assignmentId,
        roleId: 'editor',
        subject: { kind: 'employee' as const, id: employeeId },
        expiresAt: null,
      },
    });

    /** Two service instances on one store (each its writer and fold), the read model, the local copies. */
    async function twoInstances(tenantId: string) {
      const writers = [new SeamWriter(store), new SeamWriter(store)] as const;
      const memories = [new PolicyMemory(store), new PolicyMemory(store)] as const;
      const projection = new PolicyViewProjection(store, db, checkpoints, {}, `view-${randomUUID()}`);
      await Promise.all([...memories.map((m) => m.start()), projection.start()]);
      // Instance two's listing of a role's assignments can be held once (`holdListing`): after listing, or
      // before it; the first `skip` listings pass.
      let holdListing:
        { reached: () => void; released: Promise<void>; before: boolean; skip: number } | undefined;
      const listTwo = assignmentsInMemory(writers[1], memories[1]);
      const one = new PolicyCommands(writers[0], assignmentsInMemory(writers[0], memories[0]));
      const two = new PolicyCommands(writers[1], async (tenant, roleId, strict) => {
        const hold = holdListing && holdListing.skip-- === 0 ? holdListing : undefined;
        if (hold) holdListing = undefined;
        if (hold?.before) {
          hold.reached();
          await hold.released;
        }
        const ids = await listTwo(tenant, roleId, strict);
        if (hold && !hold.before) {
          hold.reached();
          await hold.released;
        }
        return ids;
      });
      const holdNextListing = ({ before = false, skip = 0 } = {}) => {
        let reached!: () => void;
        let release!: () => void;
        const hit = new Promise<void>((resolve) => (reached = resolve));
        holdListing = {
          reached,
          released: new Promise<void>((resolve) => (release = resolve)),
          before,
          skip,
        };
        return { reached: hit, release };
      };
      const copies = new LocalCopies(db, schema);
      for (const id of ['bob', 'ann'])
        await copies.applyDirectory({
          kind: 'employee',
          tenantId,
          id,
          revision: '0',
          departmentIds: ['d1'],
          status: 'active',
        });
      await copies.applyTag(
        tagChangeOf({
          type: 'tag.created.v1',
          data: {
            tenantId,
            revision: '0',
            tagId: 't1',
            name: 'VIP',
            kind: 'customer',
            nodeType: 'tag',
            parentId: null,
          },
        }),
      );
      /** Once every instance and the read model show the last write of the role and of every assignment. */
      const settle = async () => {
        const streams = [
          roleStream(tenantId, 'editor'),
          ...['a-ann', 'a-ann2', 'a-bob'].map((id) => assignmentStream(tenantId, id)),
        ];
        let last: GlobalPosition | undefined;
        for (const stream of streams)
          for (const e of await store.readStream(stream).catch(() => []))
            if (!last || comparePositions(e.position, last) > 0) last = e.position;
        const at = encodePosition(last!);
        await Promise.all([
          ...memories.map((m) => m.folded.waitFor(at, 10_000)),
          projection.folded.waitFor(at, 10_000),
        ]);
      };
      const listed = async () =>
        (
          (await db.query(
            `SELECT object_id FROM "${schema}".policy_objects
              WHERE tenant_id = $1 AND kind = 'assignment' AND NOT (data->>'removed')::boolean ORDER BY object_id`,
            [tenantId],
          )) as { object_id: string }[]
        ).map((r) => r.object_id);
      /** Check(employee, customer_tags.edit, t1) on each instance: only a holder of editor may edit. */
      const mayEdit = async (employeeId: string) => {
        const copy = await copies.tenant(tenantId);
        return memories.map(
          (memory) =>
            check(
              { policy: memory.policy(tenantId), directory: copy, tags: copy },
              {
                subject: { employeeId, tokenRoles: [] },
                action: 'customer_tags.edit',
                tagId: 't1',
                at: Date.now(),
              },
            ).allowed,
        );
      };
      /** Instance one's AssignRole(a-bob → editor), held after it read the role while `meanwhile` runs, then let go. */
      const assignAcross = async (m: ReturnType<typeof meta>, meanwhile: () => Promise<unknown>) => {
        const seam = writers[0].holdAfterReading(roleStream(tenantId, 'editor'));
        const racing = one.assignment(m, assign('a-bob', 'bob'));
        await seam.reached;
        await meanwhile();
        seam.release();
        return racing;
      };
      /** assignAcross whose re-read after the append fails (its instance died): nothing ends the assignment. */
      const strandAssignment = async (m: ReturnType<typeof meta>, meanwhile: () => Promise<unknown>) => {
        await expect(
          assignAcross(m, async () => {
            await meanwhile();
            writers[0].afterRead = () => {
              throw new Error('connection lost');
            };
          }),
        ).rejects.toThrow('connection lost');
        writers[0].afterRead = undefined;
        expect((await store.readStream(assignmentStream(tenantId, 'a-bob'))).map((e) => e.type)).toEqual([
          'RoleAssigned',
        ]);
      };
      /** Once settled: the read model lists `ids`, and each employee named may edit t1 (or not) on both instances. */
      const expectHolders = async (ids: string[], editors: Record<string, boolean>) => {
        await settle();
        expect(await listed()).toEqual(ids);
        for (const [employeeId, may] of Object.entries(editors))
          expect(await mayEdit(employeeId)).toEqual([may, may]);
      };
      const stop = () => Promise.all([...memories.map((m) => m.stop()), projection.stop()]);
      return {
        writers,
        memories,
        one,
        two,
        holdNextListing,
        assignAcross,
        expectHolders,
        strandAssignment,
        settle,
        mayEdit,
        stop,
      };
    }

    it('AssignRole that read the role before RemoveRole and appended after ends its own assignment and answers FAILED_PRECONDITION on roleId', async () => {
      const m = meta();
      const world = await twoInstances(m.tenantId);
      try {
        await world.two.role(m, { type: 'DefineRole', data: editor });
        await world.two.assignment(m, assign('a-ann', 'ann'));
        await world.settle();
        expect(await world.mayEdit('ann')).toEqual([true, true]);

        // Instance one reads the role (it exists) and is held there; instance two removes the role
        // completely (ann's assignment ends with it); then instance one appends bob's assignment.
        const racing = world.assignAcross(m, () =>
          world.two.removeRole(m, { roleId: 'editor', cascade: false }),
        );
        await expect(racing).rejects.toMatchObject({
          code: 'PERMISSION.FAILED_PRECONDITION',
          field: 'roleId',
          message: expect.stringContaining('was removed while it was being assigned'),
        });
        // The assignment did stand for a moment, and was ended by its own event (published, audited).
        const bob = await store.readStream(assignmentStream(m.tenantId, 'a-bob'));
        expect(bob.map((e) => e.type)).toEqual(['RoleAssigned', 'RoleUnassigned']);
        expect(bob[1]!.metadata).toMatchObject({ actorId: 'admin' });

        await world.expectHolders([], { bob: false });
        // The role defined again starts with no holders; a fresh assignment after it holds.
        await world.two.role(m, { type: 'DefineRole', data: editor });
        await world.expectHolders([], { bob: false, ann: false });
        await world.one.assignment(m, assign('a-ann2', 'ann'));
        await world.expectHolders(['a-ann2'], { ann: true, bob: false });
      } finally {
        await world.stop();
      }
    });

    it('a role removed and defined again while AssignRole was held is a new role: the assignment is ended too', async () => {
      const m = meta();
      const world = await twoInstances(m.tenantId);
      try {
        await world.two.role(m, { type: 'DefineRole', data: editor });
        const racing = world.assignAcross(m, async () => {
          await world.two.removeRole(m, { roleId: 'editor', cascade: false });
          await world.two.role(m, { type: 'DefineRole', data: editor });
        });
        await expect(racing).rejects.toMatchObject({
          code: 'PERMISSION.FAILED_PRECONDITION',
          field: 'roleId',
        });
        await world.expectHolders([], { bob: false });
      } finally {
        await world.stop();
      }
    });

    it('AssignRole appended after RemoveRole listed the assignments, but re-read the role before RoleRemoved: the removal ends it afterwards', async () => {
      const m = meta();
      const world = await twoInstances(m.tenantId);
      try {
        await world.two.role(m, { type: 'DefineRole', data: editor });
        await world.settle();
        // Instance two lists the role's assignments (none) and is held; instance one assigns bob in full
        // (its re-read finds the role standing, so it answers OK); then instance two writes RoleRemoved.
        const seam = world.holdNextListing();
        const removal = world.two.removeRole(m, { roleId: 'editor', cascade: false });
        await seam.reached;
        await world.one.assignment(m, assign('a-bob', 'bob'));
        seam.release();
        const out = await removal;
        const bob = await store.readStream(assignmentStream(m.tenantId, 'a-bob'));
        expect(bob.map((e) => e.type)).toEqual(['RoleAssigned', 'RoleUnassigned']);
        // The removal's token covers the assignment it ended last.
        expect(encodePosition(out.position!)).toBe(encodePosition(bob[1]!.position));
        await world.expectHolders([], { bob: false });
        await world.two.role(m, { type: 'DefineRole', data: editor });
        await world.expectHolders([], { bob: false });
        // Its stream ended, the same assignment asked again holds the new definition (not a no-op).
        await world.one.assignment(m, assign('a-bob', 'bob'));
        await world.expectHolders(['a-bob'], { bob: true });
      } finally {
        await world.stop();
      }
    });

    it('a straggler never ended (its instance died after the append) is neither listed nor applied, before or after the role is defined again', async () => {
      const m = meta();
      const world = await twoInstances(m.tenantId);
      try {
        await world.two.role(m, { type: 'DefineRole', data: editor });
        // The re-read after the append fails: nothing ends the assignment.
        await world.strandAssignment(m, () => world.two.removeRole(m, { roleId: 'editor', cascade: false }));
        await world.expectHolders([], { bob: false });
        await world.two.role(m, { type: 'DefineRole', data: editor });
        await world.expectHolders([], { bob: false });
        // A fresh process folding the store from the start agrees.
        const fresh = new PolicyMemory(store);
        await fresh.start();
        expect([...fresh.policy(m.tenantId).assignments.keys()]).toEqual([]);
        await fresh.stop();
        // The client retries the same AssignRole: the straggler was made against the earlier definition,
        // so the retry appends the assignment afresh (not an OK for nothing), and it holds everywhere.
        const retried = await world.one.assignment(m, assign('a-bob', 'bob'));
        expect(retried).toMatchObject({ changed: true });
        await world.expectHolders(['a-bob'], { bob: true });
      } finally {
        await world.stop();
      }
    });
    it('a straggler appended after the role was defined again, by an AssignRole that read the earlier definition, is neither listed nor applied', async () => {
      const m = meta();
      const world = await twoInstances(m.tenantId);
      try {
        await world.two.role(m, { type: 'DefineRole', data: editor });
        // Its append lands after the new definition; the re-read fails, so nothing ends it.
        await world.strandAssignment(m, async () => {
          await world.two.removeRole(m, { roleId: 'editor', cascade: false });
          await world.two.role(m, { type: 'DefineRole', data: editor });
        });
        await world.expectHolders([], { bob: false });
      } finally {
        await world.stop();
      }
    });

    it('AssignRole that changed nothing still re-reads the role: removed meanwhile, it answers FAILED_PRECONDITION on roleId', async () => {
      const m = meta();
      const world = await twoInstances(m.tenantId);
      try {
        await world.two.role(m, { type: 'DefineRole', data: editor });
        await world.one.assignment(m, assign('a-bob', 'bob'));
        await world.settle();
        // The same AssignRole again (a client's retry): it reads the role, writes nothing, and is held
        // before its second read while instance two removes the role (ending bob's assignment).
        const seam = world.writers[0].holdBeforeReading(roleStream(m.tenantId, 'editor'), 1);
        const retry = world.one.assignment(m, assign('a-bob', 'bob'));
        // (Without the second read, the retry answers at once, and is seen answering OK.)
        await Promise.race([seam.reached, retry.catch(() => undefined)]);
        world.writers[0].beforeRead = undefined;
        await world.two.removeRole(m, { roleId: 'editor', cascade: false });
        seam.release();
        await expect(retry).rejects.toMatchObject({
          code: 'PERMISSION.FAILED_PRECONDITION',
          field: 'roleId',
        });
        await world.expectHolders([], { bob: false });
      } finally {
        await world.stop();
      }
    });

    it("RemoveRole's pass after RoleRemoved ends only what the fold dropped: an assignment of the role defined again meanwhile stands", async () => {
      const m = meta();
      const world = await twoInstances(m.tenantId);
      try {
        await world.two.role(m, { type: 'DefineRole', data: editor });
        await world.settle();
        // Instance two writes RoleRemoved and is held before its second listing; instance one defines the
        // role again and assigns ann (OK); then instance two lists again.
        const seam = world.holdNextListing({ before: true, skip: 1 });
        const removal = world.two.removeRole(m, { roleId: 'editor', cascade: false });
        await seam.reached;
        await world.one.role(m, { type: 'DefineRole', data: editor });
        await world.one.assignment(m, assign('a-ann', 'ann'));
        await world.settle();
        seam.release();
        await removal;
        expect((await store.readStream(assignmentStream(m.tenantId, 'a-ann'))).map((e) => e.type)).toEqual([
          'RoleAssigned',
        ]);
        await world.expectHolders(['a-ann'], { ann: true });
      } finally {
        await world.stop();
      }
    });

    it("RemoveRole's pass after RoleRemoved leaves a dropped assignment assigned again meanwhile against the role defined again", async () => {
      const m = meta();
      const world = await twoInstances(m.tenantId);
      try {
        await world.two.role(m, { type: 'DefineRole', data: editor });
        await world.settle();
        // As above: bob's assignment lands after the first listing and before RoleRemoved, so the fold
        // drops it at the removal; instance two is held after its second listing (which names it) while
        // instance one defines the role again and assigns bob again under the same id (OK).
        const first = world.holdNextListing();
        const removal = world.two.removeRole(m, { roleId: 'editor', cascade: false });
        await first.reached;
        await world.one.assignment(m, assign('a-bob', 'bob'));
        first.release();
        const second = world.holdNextListing();
        await second.reached;
        await world.one.role(m, { type: 'DefineRole', data: editor });
        expect(await world.one.assignment(m, assign('a-bob', 'bob'))).toMatchObject({ changed: true });
        second.release();
        await removal;
        expect((await store.readStream(assignmentStream(m.tenantId, 'a-bob'))).map((e) => e.type)).toEqual([
          'RoleAssigned',
          'RoleAssigned',
        ]);
        await world.expectHolders(['a-bob'], { bob: true });
      } finally {
        await world.stop();
      }
    });

    it("RemoveRole's pass after RoleRemoved ends an assignment made against a definition its own removal ended (the role removed, defined again and assigned after its first listing)", async () => {
      const m = meta();
      const world = await twoInstances(m.tenantId);
      try {
        await world.two.role(m, { type: 'DefineRole', data: editor });
        await world.settle();
        // Instance two reads the role and is held after its first listing; meanwhile instance one removes
        // the role, defines it again and assigns bob against the new definition (OK). Instance two's
        // RoleRemoved then ends that definition: every fold drops bob, and the second pass must end him.
        const first = world.holdNextListing();
        const removal = world.two.removeRole(m, { roleId: 'editor', cascade: false });
        await first.reached;
        await world.one.removeRole(m, { roleId: 'editor', cascade: false });
        await world.one.role(m, { type: 'DefineRole', data: editor });
        await world.one.assignment(m, assign('a-bob', 'bob'));
        first.release();
        await removal;
        expect((await store.readStream(assignmentStream(m.tenantId, 'a-bob'))).map((e) => e.type)).toEqual([
          'RoleAssigned',
          'RoleUnassigned',
        ]);
        await world.expectHolders([], { bob: false });
      } finally {
        await world.stop();
      }
    });

    it("RemoveRole's pass after RoleRemoved, when the fold does not show the removal in time, answers the removal that happened (not UNAVAILABLE: a retry would meet the role gone)", async () => {
      const m = meta();
      const writer = new PolicyWriter(store);
      const memory = new PolicyMemory(store);
      await memory.start();
      try {
        let calls = 0;
        const list = assignmentsInMemory(writer, memory);
        const commands = new PolicyCommands(writer, async (tenant, roleId, strict) => {
          // The second listing: the fold is stopped, so it never shows RoleRemoved.
          if (++calls === 2) await memory.stop();
          return list(tenant, roleId, strict);
        });
        await commands.role(m, { type: 'DefineRole', data: editor });
        expect(await commands.removeRole(m, { roleId: 'editor', cascade: false })).toMatchObject({
          changed: true,
          revision: -1,
        });
        expect((await store.readStream(roleStream(m.tenantId, 'editor'))).map((e) => e.type)).toEqual([
          'RoleDefined',
          'RoleRemoved',
        ]);
      } finally {
        await memory.stop();
      }
    }, 20_000);
  });
});
