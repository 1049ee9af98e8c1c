import { employeeStatus, partnerRelation, toDepartment, toEmployee, toPartnerStaff } from './wecom-mapping';

describe('WeCom → directory mapping', () => {
  it.each([
    [1, 1, 'active'],
    [4, 1, 'active'], // not yet activated: in the directory, may be tagged before the first login
    [2, 0, 'disabled'],
    [2, undefined, 'disabled'],
    [1, 0, 'disabled'], // an administrator's enable=0 wins over status
    [5, 1, 'left'],
    [5, 0, 'left'],
    [3, 1, 'disabled'], // a status WeCom may add later grants nothing
  ] as const)('given status %i and enable %s, then the employee is %s', (status, enable, expected) => {
    expect(employeeStatus(status, enable)).toBe(expected);
  });

  it('given a user in two departments leading the second, then ids are strings and the leader flag follows position', () => {
    expect(
      toEmployee({
        userid: 'u1',
        name: 'A',
        department: [3, 2],
        main_department: 2,
        is_leader_in_dept: [0, 1],
        position: 'p',
        status: 1,
        enable: 1,
      }),
    ).toEqual({
      employeeId: 'u1',
      name: 'A',
      departmentIds: ['3', '2'],
      mainDepartmentId: '2',
      position: 'p',
      status: 'active',
      leaderInDepartmentIds: ['2'],
    });
  });

  it('given the root department (parentid 0), then it has no parent', () => {
    expect(toDepartment({ id: 1, name: 'R', parentid: 0, order: 5 })).toEqual({
      departmentId: '1',
      name: 'R',
      parentId: null,
      order: 5,
      leaderIds: [],
    });
  });

  it('given corpgroup business types and linkedcorp ids, then relation and staff id are split out', () => {
    expect([partnerRelation(1), partnerRelation(0)]).toEqual(['downstream', 'connected']);
    expect(toPartnerStaff({ userid: 'wwP/xm', name: 'X' })).toEqual({
      corpId: 'wwP',
      staffId: 'xm',
      name: 'X',
    });
  });
});
