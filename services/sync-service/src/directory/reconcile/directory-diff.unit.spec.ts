import type { Department, DirectorySnapshot, Employee } from '../domain/directory.model';
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
});
