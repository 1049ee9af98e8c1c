import { canonical } from '../../directory/domain/directory-rules';

describe('canonical JSON (what was last queued compares equal to the same state read back from jsonb)', () => {
  it('given the same object with its keys in another order, then the text is the same', () => {
    const queued = {
      op: 'upsertAccount',
      account: { employeeId: 'lisi', email: 'lisi@x.test', displayName: '李四', active: false },
    };
    const fromJsonb = {
      account: { email: 'lisi@x.test', active: false, employeeId: 'lisi', displayName: '李四' },
      op: 'upsertAccount',
    };
    expect(canonical(fromJsonb)).toBe(canonical(queued));
    expect(canonical({ ...queued, account: { ...queued.account, active: true } })).not.toBe(
      canonical(queued),
    );
  });

  it('keeps array order (members are sorted before, order is meaningful)', () => {
    expect(canonical({ m: ['a', 'b'] })).not.toBe(canonical({ m: ['b', 'a'] }));
  });
});
