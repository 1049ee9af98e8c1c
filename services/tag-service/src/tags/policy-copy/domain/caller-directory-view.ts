import type { DirectoryView, EmployeeStatus } from '@tagguard/permission-engine';

/** What the directory copy knows that a check of one caller can ask: its employee row and departments' parents. */
export interface CallerDirectoryFacts {
  mirrored: boolean;
  employeeId: string;
  employee?: { departmentIds: readonly string[]; status: EmployeeStatus };
  /** Department → parent (null at the root) for the caller's departments and all their ancestors. */
  parents: ReadonlyMap<string, string | null>;
}

/**
 * The engine's DirectoryView for one caller. Every level of the check asks the directory only about the
 * subject (its departments, their ancestors, its status), so these facts answer it exactly; another
 * employee is unknown here, a department outside the caller's chain has an unknown parent.
 */
export function callerDirectoryView(facts: CallerDirectoryFacts): DirectoryView {
  return {
    mirrored: facts.mirrored,
    parentOf: (departmentId) => facts.parents.get(departmentId),
    employee: (employeeId) => (employeeId === facts.employeeId ? facts.employee : undefined),
  };
}
