import type { DownstreamAccount, DownstreamGroup } from '../../port/downstream-directory.port';
import { classifyDrift, repairsFor, resyncCounts } from './drift';

const acc = (id: string, active = true, name = `员工 ${id}`): DownstreamAccount => ({
  employeeId: id,
  email: `${id}@corp.example`,
  displayName: name,
  active,
});
const grp = (id: string, members: string[]): DownstreamGroup => ({
  groupId: id,
  displayName: `组 ${id}`,
  email: `${id}@corp.example`,
  memberEmployeeIds: members,
});

describe('drift classification', () => {
  it('given a disabled employee whose mailbox is still active (the article), then it is a status mismatch', () => {
    const { items } = classifyDrift({
      desiredAccounts: [acc('lisi', false)],
      actualAccounts: [acc('lisi', true)],
    });
    expect(items).toEqual([
      { kind: 'status_mismatch', subject: 'lisi', memberId: '', expected: 'disabled', actual: 'active' },
    ]);
    expect(repairsFor(items, { accounts: [acc('lisi', false)] })).toEqual([
      { op: 'upsertAccount', account: acc('lisi', false) },
    ]);
  });

  it('given missing, extra and renamed accounts, then each is its own kind; an extra one is disabled, never deleted', () => {
    const { items } = classifyDrift({
      desiredAccounts: [acc('a'), acc('b', true, 'B new')],
      actualAccounts: [acc('b', true, 'B old'), acc('x'), acc('y', false)],
    });
    expect(items.map((i) => [i.kind, i.subject])).toEqual([
      ['missing_account', 'a'],
      ['account_details_mismatch', 'b'],
      ['extra_account', 'x'],
      ['extra_account', 'y'],
    ]);
    expect(repairsFor(items, { accounts: [acc('a'), acc('b', true, 'B new')] })).toEqual([
      { op: 'upsertAccount', account: acc('a') },
      { op: 'upsertAccount', account: acc('b', true, 'B new') },
      { op: 'setAccountActive', employeeId: 'x', active: false },
    ]);
  });

  it('given groups, then missing/extra groups and missing/extra members are classified, one repair per group', () => {
    const desiredGroups = [grp('g1', ['a', 'b']), grp('g2', ['a'])];
    const { items } = classifyDrift({ desiredGroups, actualGroups: [grp('g1', ['b', 'c']), grp('g3', [])] });
    expect(items.map((i) => [i.kind, i.subject, i.memberId])).toEqual([
      ['group_member_missing', 'g1', 'a'],
      ['group_member_extra', 'g1', 'c'],
      ['missing_group', 'g2', ''],
      ['extra_group', 'g3', ''],
    ]);
    expect(repairsFor(items, { groups: desiredGroups })).toEqual([
      { op: 'upsertGroup', group: grp('g1', ['a', 'b']) },
      { op: 'upsertGroup', group: grp('g2', ['a']) },
      { op: 'removeGroup', groupId: 'g3' },
    ]);
    expect(resyncCounts(items, 3)).toMatchObject({
      groupsCreated: 1,
      groupsUpdated: 1,
      groupsRemoved: 1,
      unchanged: 0,
    });
  });

  it('given a subject with a queued change, then it is skipped and counted, not reported', () => {
    const out = classifyDrift({
      desiredAccounts: [acc('lisi', false)],
      actualAccounts: [acc('lisi', true)],
      pending: new Set(['account/lisi']),
    });
    expect(out).toEqual({ items: [], pendingSkipped: 1 });
  });

  it('given the same state, then there is no drift', () => {
    expect(
      classifyDrift({
        desiredAccounts: [acc('a')],
        actualAccounts: [acc('a')],
        desiredGroups: [grp('g', ['a'])],
        actualGroups: [grp('g', ['a'])],
      }).items,
    ).toEqual([]);
  });
});
