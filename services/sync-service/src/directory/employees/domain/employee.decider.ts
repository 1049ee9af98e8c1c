import type { Employee, EmployeeStatus } from '../../domain/directory.model';
import { DirectoryError, invalid } from '../../domain/directory.errors';
import type { Decider } from '../../domain/decider';
import { idOf, idsOf, nameOf, sameValue, textOf } from '../../domain/directory-rules';

export type EmployeeEvent =
  | { type: 'EmployeeUpserted'; data: { employee: Employee } }
  /** Appended beside the upsert that changed the status, for readers that only follow status. */
  | {
      type: 'EmployeeStatusChanged';
      data: { employeeId: string; status: EmployeeStatus; previousStatus: EmployeeStatus };
    };

export type EmployeeCommand =
  /** `status` undefined: active for a new employee, unchanged for a known one. */
  | { type: 'UpsertEmployee'; data: { employee: Omit<Employee, 'status'> & { status?: EmployeeStatus } } }
  | { type: 'MoveEmployee'; data: { employeeId: string; fromDepartmentId: string; toDepartmentId: string } }
  | { type: 'SetEmployeeStatus'; data: { employeeId: string; status: EmployeeStatus } };

/** One employee per stream: a 100,000-employee import is 100,000 independent small appends. */
export type EmployeeState = { employee: Employee | null; revision: number };

function validEmployee(e: Employee): Employee {
  const departmentIds = idsOf(e.departmentIds, 'departmentIds');
  const mainDepartmentId = e.mainDepartmentId || departmentIds[0] || null;
  if (mainDepartmentId !== null && !departmentIds.includes(mainDepartmentId))
    throw invalid('mainDepartmentId', 'must be one of departmentIds');
  const leaderIn = idsOf(e.leaderInDepartmentIds, 'leaderInDepartmentIds');
  const outside = leaderIn.find((d) => !departmentIds.includes(d));
  if (outside) throw invalid('leaderInDepartmentIds', `${outside} is not one of departmentIds`);
  return {
    employeeId: idOf(e.employeeId, 'employeeId'),
    name: nameOf(e.name, 'name'),
    departmentIds,
    mainDepartmentId,
    position: textOf(e.position, 'position', 128),
    status: e.status,
    leaderInDepartmentIds: leaderIn,
  };
}

function changed(before: Employee | null, after: Employee): EmployeeEvent[] {
  if (sameValue(before, after)) return [];
  const events: EmployeeEvent[] = [{ type: 'EmployeeUpserted', data: { employee: after } }];
  if (before && before.status !== after.status)
    events.push({
      type: 'EmployeeStatusChanged',
      data: { employeeId: after.employeeId, status: after.status, previousStatus: before.status },
    });
  return events;
}

function existing(state: EmployeeState, employeeId: string): Employee {
  if (!state.employee)
    throw new DirectoryError('DIRECTORY.NOT_FOUND', `employee ${employeeId} does not exist`, 'employeeId');
  return state.employee;
}

export const employee: Decider<EmployeeState, EmployeeCommand, EmployeeEvent> = {
  initialState: () => ({ employee: null, revision: -1 }),

  evolve(state, event, revision) {
    switch (event.type) {
      case 'EmployeeUpserted':
        return { employee: event.data.employee, revision };
      case 'EmployeeStatusChanged':
        return { ...state, revision };
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'UpsertEmployee': {
        const status = command.data.employee.status ?? state.employee?.status ?? 'active';
        return changed(state.employee, validEmployee({ ...command.data.employee, status }));
      }
      case 'MoveEmployee': {
        const current = existing(state, command.data.employeeId);
        const { fromDepartmentId: from, toDepartmentId: to } = command.data;
        idOf(to, 'toDepartmentId');
        if (!current.departmentIds.includes(from))
          throw invalid('fromDepartmentId', `${current.employeeId} is not in department ${from}`);
        const departmentIds = current.departmentIds.includes(to)
          ? current.departmentIds.filter((d) => d !== from)
          : current.departmentIds.map((d) => (d === from ? to : d));
        return changed(
          current,
          validEmployee({
            ...current,
            departmentIds,
            mainDepartmentId: current.mainDepartmentId === from ? to : current.mainDepartmentId,
            leaderInDepartmentIds: current.leaderInDepartmentIds.filter((d) => d !== from),
          }),
        );
      }
      case 'SetEmployeeStatus': {
        const current = existing(state, command.data.employeeId);
        // A departed employee comes back through the source (an upsert), not by re-enabling.
        if (current.status === 'left' && command.data.status === 'active')
          throw new DirectoryError(
            'DIRECTORY.FAILED_PRECONDITION',
            `employee ${current.employeeId} has left; upsert them again to bring them back`,
            'employeeId',
          );
        return changed(current, { ...current, status: command.data.status });
      }
      default: {
        const unknown: never = command;
        throw new Error(`unknown command ${JSON.stringify(unknown)}`);
      }
    }
  },

  revisionOf: (_command, state) => state.revision,
};
