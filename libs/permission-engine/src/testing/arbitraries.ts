import fc from 'fast-check';
import type { PolicySubjectV1 } from '@tagguard/contracts';

/** A rule's subject drawn from the given ids: an employee, a department (with or without those below), a role. */
export const ruleSubjectArb = (ids: {
  employees: readonly string[];
  departments: readonly string[];
  roles: readonly string[];
}): fc.Arbitrary<PolicySubjectV1> =>
  fc.oneof(
    fc.record({ kind: fc.constant('employee' as const), id: fc.constantFrom(...ids.employees) }),
    fc.record({
      kind: fc.constant('department' as const),
      id: fc.constantFrom(...ids.departments),
      includeSubDepartments: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('role' as const), id: fc.constantFrom(...ids.roles) }),
  );
