import { specFor } from '../../testing/decider-spec';
import { assignment } from './assignment.decider';

const { given } = specFor(assignment);
const toSales = {
  assignmentId: 'a1',
  roleId: 'viewer',
  subject: { kind: 'department' as const, id: 'sales', includeSubDepartments: true },
  expiresAt: '2026-12-31T16:00:00.000Z',
  removed: false,
};

describe('role assignment decider', () => {
  it('assigns a role to a department with its sub-departments until an expiry (normalised to UTC)', () => {
    given([])
      .when({ type: 'AssignRole', data: { ...toSales, expiresAt: '2027-01-01T00:00:00+08:00' } })
      .then([{ type: 'RoleAssigned', data: toSales }]);
    given([{ type: 'RoleAssigned', data: toSales }])
      .when({ type: 'UnassignRole', data: { assignmentId: 'a1' } })
      .then([{ type: 'RoleUnassigned', data: { ...toSales, removed: true } }]);
  });

  it('names the role definition it was made against: the same assignment against another one is a change (D80)', () => {
    const against0 = { ...toSales, roleDefinedSince: 0 };
    given([{ type: 'RoleAssigned', data: against0 }])
      .when({ type: 'AssignRole', data: against0 })
      .then([]);
    given([{ type: 'RoleAssigned', data: against0 }])
      .when({ type: 'AssignRole', data: { ...toSales, roleDefinedSince: 2 } })
      .then([{ type: 'RoleAssigned', data: { ...toSales, roleDefinedSince: 2 } }]);
  });

  it('refuses a role as the subject and an expiry without a zone', () => {
    given([])
      .when({ type: 'AssignRole', data: { ...toSales, subject: { kind: 'role', id: 'x' } as never } })
      .thenFails('PERMISSION.INVALID_ARGUMENT', 'subject.roleId');
    given([])
      .when({ type: 'AssignRole', data: { ...toSales, expiresAt: '2027-01-01 00:00' } })
      .thenFails('PERMISSION.INVALID_ARGUMENT', 'expiresAt');
  });
});
