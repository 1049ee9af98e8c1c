import { randomUUID } from 'node:crypto';
import { positionFromToken } from '@tagguard/event-store';
import type { CommandContext } from '../commands/event-writer';
import type { MemberRef } from '../domain/tag-catalog.events';
import { openWriteSide, type WriteSide } from '../../testing/write-side';
import { SnapshotStore } from '../time-machine/snapshot-store';
import { TimeMachine } from '../time-machine/time-machine';
import { TimeMachineReader } from '../time-machine/time-machine.reader';
import { DirectoryCopy } from './directory-copy';

// The write side in this process on real PostgreSQL, checking against the copy: the adds that do not
// come from AddMembers (an approval executing later, a restore re-adding) are checked too (D34).
describe('member checks on every path that adds', () => {
  const schema = `dirchk_${randomUUID().slice(0, 8)}`;
  const clock = () => new Date();
  let side: WriteSide;
  let copy: DirectoryCopy;
  let machine: TimeMachine;
  let tenantId: string;
  const admin = (actorId = 'admin-1'): CommandContext => ({
    principal: { tenantId, actorId, roles: ['tenant_admin'] },
  });
  const e = (id: string): MemberRef => ({ kind: 'employee', id });
  const setStatus = (employeeId: string, revision: number, status: string) =>
    copy.apply(
      {
        tenantId,
        kind: 'employee',
        objectId: employeeId,
        revision: String(revision),
        removed: false,
        status,
        partial: false,
        data: {},
      },
      new Date(),
    );
  const createTag = async (protect = false) => {
    const tagId = randomUUID();
    await side.commands.onCatalog(
      admin(),
      null,
      (b) => ({
        type: 'CreateNode',
        data: {
          ...b,
          nodeId: tagId,
          nodeType: 'tag',
          kind: 'member',
          name: `t-${tagId.slice(0, 8)}`,
          parentId: null,
          description: '',
        },
      }),
      () => tagId,
    );
    if (protect)
      await side.commands.onCatalog(
        admin(),
        null,
        (b) => ({ type: 'SetProtection', data: { ...b, nodeId: tagId, protected: true } }),
        () => tagId,
      );
    return tagId;
  };
  const members = async (tagId: string) =>
    [...(await side.commands.members(tenantId, tagId)).state.members.values()].map((m) => m.id).sort();

  beforeAll(async () => {
    side = await openWriteSide(schema, clock);
    copy = new DirectoryCopy(side.db, schema);
    side.commands.checkMembersWith((tenant, refs) => copy.facts(tenant, refs));
    machine = new TimeMachine(
      new TimeMachineReader(side.store, await SnapshotStore.create(side.db, schema)),
      side.commands,
      clock,
    );
  });
  afterAll(() => side?.close());
  beforeEach(() => {
    tenantId = `tenant-${randomUUID().slice(0, 8)}`;
  });

  it('an approved add is checked again when it executes: an employee disabled while it waited is not added', async () => {
    await setStatus('alice', 0, 'active');
    await setStatus('bob', 0, 'active');
    const tagId = await createTag(true);
    const asked = await side.commands.onMembers(admin(), {
      change: 'add_members',
      tagId,
      members: [e('alice'), e('bob')],
    });
    expect(asked.approval).toBeDefined();
    await setStatus('bob', 1, 'disabled');
    await side.commands.approve(admin('admin-2'), asked.approval!.approvalId);
    expect(await members(tagId)).toEqual(['alice']);
  });

  it('a restore does not re-add an employee who left after the point it restores to', async () => {
    await setStatus('carol', 0, 'active');
    await setStatus('dan', 0, 'active');
    const tagId = await createTag();
    const added = await side.commands.onMembers(admin(), {
      change: 'add_members',
      tagId,
      members: [e('carol'), e('dan')],
    });
    const before = positionFromToken(added.consistencyToken)!;
    await side.commands.onMembers(admin(), {
      change: 'remove_members',
      tagId,
      members: [e('carol'), e('dan')],
    });
    await setStatus('carol', 1, 'left');
    await machine.restore(admin(), tagId, { position: before }, 'restore-1');
    expect(await members(tagId)).toEqual(['dan']);
  });

  it('a tenant whose directory never arrived is not checked: a made-up id is added', async () => {
    const tagId = await createTag();
    const result = await side.commands.onMembers(admin(), {
      change: 'add_members',
      tagId,
      members: [e('made-up')],
    });
    expect(result.results.map((r) => r.outcome)).toEqual(['ok']);
  });
});
