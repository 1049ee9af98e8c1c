import { violationsOf } from './revert-rules';

const members = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ kind: 'customer' as const, id: `c${i}` }));

describe('revert rules', () => {
  it('given "removal requires role key_account", when an actor without it removes 3, then all 3 are reverted with the reason', () => {
    expect(
      violationsOf({
        rules: [{ ruleId: 'r1', tagId: 't1', type: 'removal_requires_role', role: 'key_account' }],
        tagId: 't1',
        actorId: 'u1',
        actorRoles: ['sales'],
        removed: members(3),
        removedBefore: 0,
      }),
    ).toEqual([
      {
        ruleId: 'r1',
        members: members(3),
        reason: 'u1 lacks role key_account to remove members of this tag',
      },
    ]);
  });

  it('given the role, then no violation', () => {
    expect(
      violationsOf({
        rules: [{ ruleId: 'r1', tagId: 't1', type: 'removal_requires_role', role: 'key_account' }],
        tagId: 't1',
        actorId: 'u1',
        actorRoles: ['key_account'],
        removed: members(3),
        removedBefore: 0,
      }),
    ).toEqual([]);
  });

  it('given at most 5 per hour and 3 removed before, when 4 more are removed, then the last 2 are reverted', () => {
    const removed = members(4);
    expect(
      violationsOf({
        rules: [{ ruleId: 'r2', tagId: 't1', type: 'removal_rate_limit', maxPerHour: 5 }],
        tagId: 't1',
        actorId: 'u1',
        actorRoles: [],
        removed,
        removedBefore: 3,
      }),
    ).toEqual([
      {
        ruleId: 'r2',
        members: removed.slice(2),
        reason: 'u1 may remove at most 5 members per hour (3 before this)',
      },
    ]);
  });

  it('given rules of another tag, then no violation', () => {
    expect(
      violationsOf({
        rules: [{ ruleId: 'r2', tagId: 'tX', type: 'removal_rate_limit', maxPerHour: 1 }],
        tagId: 't1',
        actorId: 'u1',
        actorRoles: [],
        removed: members(4),
        removedBefore: 3,
      }),
    ).toEqual([]);
  });
});
