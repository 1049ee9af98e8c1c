import type { DirectoryEvent } from '../../integration/directory-events.translation';
import type {
  CustomerFollowerView,
  CustomerView,
  DepartmentView,
  EmployeeDepartmentView,
  EmployeeView,
  PartnerStaffView,
  PartnerView,
} from './directory-view.entities';

const k = (...parts: string[]): string => parts.join('\u0000');

/**
 * The rows a batch of events leaves behind, folded in memory (events are fat: the last one of an object
 * wins). `null` deletes the row; a child set (an employee's departments, a customer's followers) is
 * replaced whole by its owner's last upsert.
 */
export class DirectoryRows {
  readonly departments = new Map<string, DepartmentView | null>();
  readonly employees = new Map<string, EmployeeView>();
  readonly employeeDepartments = new Map<
    string,
    { tenantId: string; employeeId: string; rows: EmployeeDepartmentView[] }
  >();
  readonly partners = new Map<string, PartnerView | null>();
  readonly partnerStaff = new Map<string, PartnerStaffView | null>();
  readonly customers = new Map<string, CustomerView | null>();
  readonly followers = new Map<
    string,
    { tenantId: string; externalUserId: string; rows: CustomerFollowerView[] }
  >();

  apply(tenantId: string, revision: number, event: DirectoryEvent): void {
    switch (event.type) {
      case 'DepartmentUpserted': {
        const d = event.data.department;
        this.departments.set(k(tenantId, d.departmentId), {
          tenantId,
          departmentId: d.departmentId,
          name: d.name,
          parentId: d.parentId ?? '',
          order: String(d.order),
          leaderIds: d.leaderIds,
          revision,
        });
        return;
      }
      case 'DepartmentRemoved':
        this.departments.set(k(tenantId, event.data.departmentId), null);
        return;
      case 'EmployeeUpserted': {
        const e = event.data.employee;
        // A stream's events come in order: this row is newer than any bump pending for it.
        this.employeeRevisions.delete(k(tenantId, e.employeeId));
        this.employees.set(k(tenantId, e.employeeId), { tenantId, ...e, revision });
        this.employeeDepartments.set(k(tenantId, e.employeeId), {
          tenantId,
          employeeId: e.employeeId,
          rows: e.departmentIds.map((departmentId) => ({
            tenantId,
            employeeId: e.employeeId,
            departmentId,
            status: e.status,
          })),
        });
        return;
      }
      case 'EmployeeStatusChanged': {
        const row = this.employees.get(k(tenantId, event.data.employeeId));
        if (row) row.revision = revision;
        else
          this.employeeRevisions.set(k(tenantId, event.data.employeeId), {
            tenantId,
            id: event.data.employeeId,
            revision,
          });
        return;
      }
      case 'PartnerUpserted': {
        const p = event.data.partner;
        this.partnerRevisions.delete(k(tenantId, p.corpId));
        this.partners.set(k(tenantId, p.corpId), { tenantId, ...p, revision });
        return;
      }
      case 'PartnerRemoved':
        this.partners.set(k(tenantId, event.data.corpId), null);
        return;
      case 'PartnerStaffUpserted': {
        const s = event.data.staff;
        this.partnerStaff.set(k(tenantId, s.corpId, s.staffId), { tenantId, ...s });
        this.bumpPartner(tenantId, s.corpId, revision);
        return;
      }
      case 'PartnerStaffRemoved':
        this.partnerStaff.set(k(tenantId, event.data.corpId, event.data.staffId), null);
        this.bumpPartner(tenantId, event.data.corpId, revision);
        return;
      case 'CustomerUpserted': {
        const c = event.data.customer;
        this.customers.set(k(tenantId, c.externalUserId), { tenantId, ...c, revision });
        this.followers.set(k(tenantId, c.externalUserId), {
          tenantId,
          externalUserId: c.externalUserId,
          rows: c.followers.map((f) => ({
            tenantId,
            externalUserId: c.externalUserId,
            employeeId: f.employeeId,
          })),
        });
        return;
      }
      case 'CustomerRemoved':
        this.customers.set(k(tenantId, event.data.externalUserId), null);
        this.followers.set(k(tenantId, event.data.externalUserId), {
          tenantId,
          externalUserId: event.data.externalUserId,
          rows: [],
        });
        return;
    }
  }

  /**
   * Revisions of rows this batch did not rewrite (a staff change bumps its enterprise's, a status change its
   * employee's). An upsert later in the batch drops its row's entry, and save() only ever raises a revision.
   */
  readonly partnerRevisions = new Map<string, { tenantId: string; id: string; revision: number }>();
  readonly employeeRevisions = new Map<string, { tenantId: string; id: string; revision: number }>();

  private bumpPartner(tenantId: string, corpId: string, revision: number): void {
    const row = this.partners.get(k(tenantId, corpId));
    if (row) row.revision = revision;
    else this.partnerRevisions.set(k(tenantId, corpId), { tenantId, id: corpId, revision });
  }
}
