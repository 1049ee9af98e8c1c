import type { DataSource } from 'typeorm';
import type { CustomerFollower, DirectorySnapshot } from '../domain/directory.model';
import {
  CustomerView,
  DepartmentView,
  EmployeeView,
  PartnerStaffView,
  PartnerView,
} from '../projections/directory-view/directory-view.entities';

/** The mirror of one tenant as the read model holds it, in the shapes a source pulls. */
export async function loadMirror(db: DataSource, tenantId: string): Promise<DirectorySnapshot> {
  const where = { where: { tenantId } };
  const [departments, employees, partners, partnerStaff, customers] = await Promise.all([
    db.getRepository(DepartmentView).find(where),
    db.getRepository(EmployeeView).find(where),
    db.getRepository(PartnerView).find(where),
    db.getRepository(PartnerStaffView).find(where),
    db.getRepository(CustomerView).find(where),
  ]);
  return {
    departments: departments.map((d) => ({
      departmentId: d.departmentId,
      name: d.name,
      parentId: d.parentId || null,
      order: Number(d.order),
      leaderIds: d.leaderIds,
    })),
    employees: employees.map((e) => ({
      employeeId: e.employeeId,
      name: e.name,
      departmentIds: e.departmentIds,
      mainDepartmentId: e.mainDepartmentId,
      position: e.position,
      status: e.status,
      leaderInDepartmentIds: e.leaderInDepartmentIds,
    })),
    partners: partners.map((p) => ({ corpId: p.corpId, name: p.name, relation: p.relation })),
    partnerStaff: partnerStaff.map((s) => ({ corpId: s.corpId, staffId: s.staffId, name: s.name })),
    customers: customers.map((c) => ({
      externalUserId: c.externalUserId,
      name: c.name,
      corpName: c.corpName,
      followers: c.followers as CustomerFollower[],
    })),
  };
}
