import type { Employee } from '../../domain/directory.model';
import { specFor } from '../../testing/decider-spec';
import { employee, type EmployeeEvent } from './employee.decider';

const e = (extra: Partial<Employee> = {}): Employee => ({
  employeeId: 'zhangsan',
  name: 'Zhang San',
  departmentIds: ['1', '2'],
  mainDepartmentId: '1',
  position: 'engineer',
  status: 'active',
  leaderInDepartmentIds: [],
  ...extra,
});
const upserted = (x: Employee): EmployeeEvent => ({ type: 'EmployeeUpserted', data: { employee: x } });
const { given } = specFor(employee);

describe('employee decider', () => {
  it('creates an active employee; the main department defaults to the first', () => {
    given([])
      .when({
        type: 'UpsertEmployee',
        data: { employee: { ...e(), mainDepartmentId: null, status: undefined } },
      })
      .then([upserted(e())]);
  });

  it('writes nothing for the same employee again', () => {
    given([upserted(e())])
      .when({ type: 'UpsertEmployee', data: { employee: e() } })
      .then([]);
  });

  it('keeps the status when an upsert does not say', () => {
    given([upserted(e({ status: 'disabled' }))])
      .when({ type: 'UpsertEmployee', data: { employee: { ...e({ position: 'lead' }), status: undefined } } })
      .then([upserted(e({ status: 'disabled', position: 'lead' }))]);
  });

  it('publishes the status change beside the upsert', () => {
    given([upserted(e())])
      .when({ type: 'SetEmployeeStatus', data: { employeeId: 'zhangsan', status: 'left' } })
      .then([
        upserted(e({ status: 'left' })),
        {
          type: 'EmployeeStatusChanged',
          data: { employeeId: 'zhangsan', status: 'left', previousStatus: 'active' },
        },
      ]);
  });

  it('re-enables a disabled employee, not a departed one', () => {
    given([upserted(e({ status: 'disabled' }))])
      .when({ type: 'SetEmployeeStatus', data: { employeeId: 'zhangsan', status: 'active' } })
      .then([
        upserted(e()),
        {
          type: 'EmployeeStatusChanged',
          data: { employeeId: 'zhangsan', status: 'active', previousStatus: 'disabled' },
        },
      ]);
    given([upserted(e({ status: 'left' }))])
      .when({ type: 'SetEmployeeStatus', data: { employeeId: 'zhangsan', status: 'active' } })
      .thenFails('DIRECTORY.FAILED_PRECONDITION', 'employeeId');
  });

  it('moves between departments, carrying the main department along', () => {
    given([upserted(e({ leaderInDepartmentIds: ['1'] }))])
      .when({
        type: 'MoveEmployee',
        data: { employeeId: 'zhangsan', fromDepartmentId: '1', toDepartmentId: '3' },
      })
      .then([upserted(e({ departmentIds: ['3', '2'], mainDepartmentId: '3' }))]);
  });

  it('refuses a move from a department the employee is not in, and an unknown employee', () => {
    given([upserted(e())])
      .when({
        type: 'MoveEmployee',
        data: { employeeId: 'zhangsan', fromDepartmentId: '9', toDepartmentId: '3' },
      })
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'fromDepartmentId');
    given([])
      .when({ type: 'SetEmployeeStatus', data: { employeeId: 'x', status: 'disabled' } })
      .thenFails('DIRECTORY.NOT_FOUND');
  });

  it('names the field of bad input', () => {
    given([])
      .when({ type: 'UpsertEmployee', data: { employee: e({ mainDepartmentId: '9' }) } })
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'mainDepartmentId');
    given([])
      .when({ type: 'UpsertEmployee', data: { employee: e({ leaderInDepartmentIds: ['7'] }) } })
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'leaderInDepartmentIds');
    given([])
      .when({ type: 'UpsertEmployee', data: { employee: e({ employeeId: '' }) } })
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'employeeId');
  });
});
