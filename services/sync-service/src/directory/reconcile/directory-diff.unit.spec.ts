import type { Customer, Department, DirectorySnapshot, Employee } from '../domain/directory.model';
import type { PullFailure, PullScope } from '../sources/directory-source.port';
import { diffDirectory } from './directory-diff';

const empty: DirectorySnapshot = {
  departments: [],
  employees: [],
  partners: [],
  partnerStaff: [],
  customers: [],
};
const dept = (departmentId: string, parentId: string | null, name = `d${departmentId}`): Department => ({
  departmentId,
  name,
  parentId,
  order: 0,
  leaderIds: [],
});
const emp = (employeeId: string, extra: Partial<Employee> = {}): Employee => ({
  employeeId,
  name: employeeId,
  departmentIds: ['1'],
  mainDepartmentId: '1',
  position: '',
  status: 'active',
  leaderInDepartmentIds: [],
  ...extra,
});
const snapshot = (s: Partial<DirectorySnapshot>): DirectorySnapshot => ({ ...empty, ...s });

describe('directory diff', () => {
  it('Given an empty mirror, When a snapshot is pulled, Then everything is created, parents before children', () => {
    const { changes } = diffDirectory(
      empty,
      snapshot({ departments: [dept('3', '2'), dept('2', '1'), dept('1', null)], employees: [emp('a')] }),
    );
    expect(
      changes.map((c) => [
        c.kind,
        c.op,
        'value' in c ? ('departmentId' in c.value ? c.value.departmentId : '') : '',
      ]),
    ).toEqual([
      ['department', 'upsert', '1'],
      ['department', 'upsert', '2'],
      ['department', 'upsert', '3'],
      ['employee', 'upsert', ''],
    ]);
  });

  it('Given a mirror equal to the snapshot, When diffed, Then nothing is to be written and all is counted unchanged', () => {
    const same = snapshot({ departments: [dept('1', null)], employees: [emp('a'), emp('b')] });
    expect(diffDirectory(same, same)).toEqual({
      changes: [],
      unchanged: { department: 1, employee: 2, partner: 0, partner_staff: 0, customer: 0 },
      skipped: [],
    });
  });

  it('Given an employee missing from the source, When diffed, Then they leave (once: a departed one stays unchanged)', () => {
    const { changes } = diffDirectory(
      snapshot({ employees: [emp('a'), emp('gone')] }),
      snapshot({ employees: [emp('a')] }),
    );
    expect(changes).toEqual([{ kind: 'employee', op: 'leave', id: 'gone' }]);
    const again = diffDirectory(
      snapshot({ employees: [emp('a'), emp('gone', { status: 'left' })] }),
      snapshot({ employees: [emp('a')] }),
    );
    expect(again.changes).toEqual([]);
    expect(again.unchanged.employee).toBe(2);
  });

  it('Given a changed status, When diffed, Then the upsert says the status changed', () => {
    const { changes } = diffDirectory(
      snapshot({ employees: [emp('a')] }),
      snapshot({ employees: [emp('a', { status: 'disabled' })] }),
    );
    expect(changes).toEqual([
      {
        kind: 'employee',
        op: 'upsert',
        value: emp('a', { status: 'disabled' }),
        created: false,
        statusChanged: true,
      },
    ]);
  });

  it('Given departments missing from the source, When diffed, Then they are removed children first, after the upserts', () => {
    const { changes } = diffDirectory(
      snapshot({ departments: [dept('1', null), dept('2', '1'), dept('3', '2')] }),
      snapshot({ departments: [dept('1', null, 'renamed')] }),
    );
    expect(changes.map((c) => (c.op === 'remove' ? `remove ${'id' in c ? c.id : ''}` : `upsert`))).toEqual([
      'upsert',
      'remove 3',
      'remove 2',
    ]);
  });

  it('Given a removed partner enterprise, When diffed, Then it is removed with its staff (no separate staff removals)', () => {
    const { changes } = diffDirectory(
      snapshot({
        partners: [{ corpId: 'c1', name: 'P', relation: 'upstream' }],
        partnerStaff: [{ corpId: 'c1', staffId: 's', name: 'S' }],
      }),
      empty,
    );
    expect(changes).toEqual([{ kind: 'partner', op: 'remove', id: 'c1' }]);
  });

  it('Given customers, When one is gone and one changed, Then one remove and one update', () => {
    const c = (externalUserId: string, name = 'n') => ({ externalUserId, name, corpName: '', followers: [] });
    const { changes } = diffDirectory(
      snapshot({ customers: [c('x'), c('y')] }),
      snapshot({ customers: [c('x', 'new')] }),
    );
    expect(changes).toEqual([
      { kind: 'customer', op: 'upsert', value: c('x', 'new'), created: false },
      { kind: 'customer', op: 'remove', id: 'y' },
    ]);
  });

  describe('after a partial pull', () => {
    const failed = (ref: string, covers: PullScope): PullFailure => ({
      ref,
      covers,
      errcode: 45009,
      errmsg: 'busy',
    });
    const follower = (employeeId: string) => ({
      employeeId,
      remark: '',
      description: '',
      remarkCorpName: '',
      remarkMobiles: [],
    });
    const cust = (externalUserId: string, followers: string[], name = 'n'): Customer => ({
      externalUserId,
      name,
      corpName: '',
      followers: followers.map(follower),
    });
    const users42 = failed('department/42/users', { kind: 'department_users', departmentId: '42' });

    it("Given department 42's users failed, When its employees are missing, Then none leaves; others still do, and changes apply", () => {
      const mirror = snapshot({
        employees: [
          emp('only42', { departmentIds: ['42'], mainDepartmentId: '42' }),
          emp('gone'),
          emp('changed'),
        ],
      });
      const diff = diffDirectory(
        mirror,
        snapshot({ employees: [emp('changed', { position: 'lead' }), emp('new')] }),
        [users42],
      );
      expect(
        diff.changes.map(
          (c) =>
            `${c.op} ${c.op === 'upsert' && c.kind === 'employee' ? c.value.employeeId : 'id' in c ? c.id : ''}`,
        ),
      ).toEqual(['upsert changed', 'upsert new', 'leave gone']);
      expect(diff.skipped).toEqual([{ ref: 'employee/only42', cause: 'department/42/users' }]);
    });

    it("Given department 42's users failed, When a customer is followed only by an employee of 42, Then the customer is kept and their follow relation too", () => {
      const mirror = snapshot({
        employees: [emp('e42', { departmentIds: ['42'], mainDepartmentId: '42' }), emp('a')],
        customers: [cust('only-e42', ['e42']), cust('both', ['e42', 'a'])],
      });
      const diff = diffDirectory(
        mirror,
        snapshot({ employees: [emp('a')], customers: [cust('both', ['a'])] }),
        [users42],
      );
      expect(diff.changes).toEqual([]);
      expect(diff.unchanged.customer).toBe(1);
      expect(diff.skipped).toEqual([
        { ref: 'employee/e42', cause: 'department/42/users' },
        { ref: 'customer/only-e42', cause: 'department/42/users' },
      ]);
    });

    it("Given a follower's customers failed, When their customers are missing, Then none is removed and a shared one keeps them; a changed name still applies", () => {
      const mirror = snapshot({
        employees: [emp('f'), emp('a')],
        customers: [cust('mine', ['f']), cust('shared', ['f', 'a']), cust('gone', ['a'])],
      });
      const diff = diffDirectory(
        mirror,
        snapshot({ employees: [emp('f'), emp('a')], customers: [cust('shared', ['a'], 'renamed')] }),
        [failed('employee/f/customers', { kind: 'follower_customers', employeeId: 'f' })],
      );
      expect(diff.changes).toEqual([
        { kind: 'customer', op: 'upsert', value: cust('shared', ['f', 'a'], 'renamed'), created: false },
        { kind: 'customer', op: 'remove', id: 'gone' },
      ]);
      expect(diff.skipped).toEqual([{ ref: 'customer/mine', cause: 'employee/f/customers' }]);
    });

    it('Given a partner list or the staff list failed, When partners and staff are missing, Then none is removed; a new one is still created', () => {
      const mirror = snapshot({
        partners: [
          { corpId: 'c1', name: 'P', relation: 'connected' },
          { corpId: 'c2', name: 'Q', relation: 'downstream' },
        ],
        partnerStaff: [{ corpId: 'c2', staffId: 's', name: 'S' }],
      });
      const pulled = snapshot({
        partners: [
          { corpId: 'c2', name: 'Q', relation: 'downstream' },
          { corpId: 'c3', name: 'R', relation: 'connected' },
        ],
      });
      const diff = diffDirectory(mirror, pulled, [
        failed('partners/business_type/0', { kind: 'partners' }),
        failed('partner_staff', { kind: 'partner_staff' }),
      ]);
      expect(diff.changes).toEqual([
        {
          kind: 'partner',
          op: 'upsert',
          value: { corpId: 'c3', name: 'R', relation: 'connected' },
          created: true,
        },
      ]);
      expect(diff.skipped).toEqual([
        { ref: 'partner_staff/c2/s', cause: 'partner_staff' },
        { ref: 'partner/c1', cause: 'partners/business_type/0' },
      ]);
      const one = diffDirectory(mirror, pulled, [
        failed('partner_staff/c2/s', { kind: 'partner_staff_member', corpId: 'c2', staffId: 's' }),
      ]);
      expect(one.changes.map((c) => c.op)).toEqual(['upsert', 'remove']);
      expect(one.skipped).toEqual([{ ref: 'partner_staff/c2/s', cause: 'partner_staff/c2/s' }]);
    });
  });

  it('Given objects signalled during the pull, When diffed, Then neither their upsert nor their departure is asked for', () => {
    const diff = diffDirectory(
      snapshot({ employees: [emp('bob', { status: 'disabled' }), emp('new')] }),
      snapshot({ employees: [emp('bob'), emp('other')] }),
      [],
      [
        { kind: 'employee', employeeId: 'bob' },
        { kind: 'employee', employeeId: 'new' },
      ],
    );
    expect(diff.changes.map((c) => c.op)).toEqual(['upsert']);
    expect(diff.skipped).toEqual([
      { ref: 'employee/bob', cause: 'signalled during the pull' },
      { ref: 'employee/new', cause: 'signalled during the pull' },
    ]);
  });
});
