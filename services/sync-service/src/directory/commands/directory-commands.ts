import type { CustomerCommand } from '../customers/domain/customer.decider';
import { customer } from '../customers/domain/customer.decider';
import type { DepartmentTree, DepartmentTreeCommand } from '../departments/domain/department-tree.decider';
import { departmentTree } from '../departments/domain/department-tree.decider';
import type { EmployeeCommand } from '../employees/domain/employee.decider';
import { employee } from '../employees/domain/employee.decider';
import type { PartnerCommand } from '../partners/domain/partner.decider';
import { partner } from '../partners/domain/partner.decider';
import { customerStream, employeeStream, partnerStream, treeStream } from '../streams';
import type { DirectoryWriter, WriteMeta, WriteOptions, WriteOutcome } from './directory-writer';

/** Which stream and decider answer a command: the only routing between the features and the write path. */
export class DirectoryCommands {
  constructor(readonly writer: DirectoryWriter) {}

  department(meta: WriteMeta, command: DepartmentTreeCommand, options?: WriteOptions): Promise<WriteOutcome> {
    return this.writer.write(
      { stream: treeStream(meta.tenantId), decider: departmentTree },
      command,
      meta,
      options,
    );
  }

  employee(meta: WriteMeta, command: EmployeeCommand, options?: WriteOptions): Promise<WriteOutcome> {
    const id = command.type === 'UpsertEmployee' ? command.data.employee.employeeId : command.data.employeeId;
    return this.writer.write(
      { stream: employeeStream(meta.tenantId, id), decider: employee },
      command,
      meta,
      options,
    );
  }

  partner(meta: WriteMeta, command: PartnerCommand, options?: WriteOptions): Promise<WriteOutcome> {
    const corpId =
      command.type === 'UpsertPartner'
        ? command.data.partner.corpId
        : command.type === 'UpsertPartnerStaff'
          ? command.data.staff.corpId
          : command.data.corpId;
    return this.writer.write(
      { stream: partnerStream(meta.tenantId, corpId), decider: partner },
      command,
      meta,
      options,
    );
  }

  customer(meta: WriteMeta, command: CustomerCommand, options?: WriteOptions): Promise<WriteOutcome> {
    const id =
      command.type === 'UpsertCustomer' ? command.data.customer.externalUserId : command.data.externalUserId;
    return this.writer.write(
      { stream: customerStream(meta.tenantId, id), decider: customer },
      command,
      meta,
      options,
    );
  }

  tree(tenantId: string): Promise<DepartmentTree> {
    return this.writer.state({ stream: treeStream(tenantId), decider: departmentTree });
  }
}
