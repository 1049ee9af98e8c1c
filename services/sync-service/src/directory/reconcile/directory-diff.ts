import type {
  Customer,
  Department,
  DirectorySnapshot,
  Employee,
  PartnerEnterprise,
  PartnerStaff,
} from '../domain/directory.model';
import { sameValue } from '../domain/directory-rules';

/** One difference between the mirror and a source's snapshot: what the write path is asked to do. */
export type DirectoryChange =
  | { kind: 'department'; op: 'upsert'; value: Department; created: boolean }
  | { kind: 'department'; op: 'remove'; id: string }
  | { kind: 'employee'; op: 'upsert'; value: Employee; created: boolean; statusChanged: boolean }
  /** Missing from the source: the employee left (kept, never deleted). */
  | { kind: 'employee'; op: 'leave'; id: string }
  | { kind: 'partner'; op: 'upsert'; value: PartnerEnterprise; created: boolean }
  | { kind: 'partner'; op: 'remove'; id: string }
  | { kind: 'partner_staff'; op: 'upsert'; value: PartnerStaff; created: boolean }
  | { kind: 'partner_staff'; op: 'remove'; corpId: string; staffId: string }
  | { kind: 'customer'; op: 'upsert'; value: Customer; created: boolean }
  | { kind: 'customer'; op: 'remove'; id: string };

export type DirectoryKind = DirectoryChange['kind'];

export type DirectoryDiff = { changes: DirectoryChange[]; unchanged: Record<DirectoryKind, number> };

const byId = <T>(items: T[], id: (t: T) => string): Map<string, T> => new Map(items.map((t) => [id(t), t]));

/**
 * What must be written for the mirror to equal the pulled snapshot, in an order the write path accepts:
 * parents before children, a department's children moved away before it is removed, an enterprise
 * before its staff. Objects equal on both sides are only counted.
 */
export function diffDirectory(mirror: DirectorySnapshot, pulled: DirectorySnapshot): DirectoryDiff {
  const unchanged: Record<DirectoryKind, number> = {
    department: 0,
    employee: 0,
    partner: 0,
    partner_staff: 0,
    customer: 0,
  };
  const changes: DirectoryChange[] = [];
  const upserts = <T>(
    kind: DirectoryKind,
    before: Map<string, T>,
    after: T[],
    id: (t: T) => string,
    change: (value: T, created: boolean, old?: T) => DirectoryChange,
  ) => {
    for (const value of after) {
      const old = before.get(id(value));
      if (old && sameValue(old, value)) unchanged[kind]++;
      else changes.push(change(value, !old, old));
    }
  };

  const departmentsBefore = byId(mirror.departments, (d) => d.departmentId);
  const departmentsAfter = byId(pulled.departments, (d) => d.departmentId);
  upserts(
    'department',
    departmentsBefore,
    parentsFirst(pulled.departments),
    (d) => d.departmentId,
    (value, created) => ({ kind: 'department', op: 'upsert', value, created }),
  );
  for (const d of childrenFirst(mirror.departments))
    if (!departmentsAfter.has(d.departmentId))
      changes.push({ kind: 'department', op: 'remove', id: d.departmentId });

  const partnersAfter = byId(pulled.partners, (p) => p.corpId);
  upserts(
    'partner',
    byId(mirror.partners, (p) => p.corpId),
    pulled.partners,
    (p) => p.corpId,
    (value, created) => ({ kind: 'partner', op: 'upsert', value, created }),
  );
  const staffKey = (s: PartnerStaff) => `${s.corpId}\u0000${s.staffId}`;
  const staffAfter = byId(pulled.partnerStaff, staffKey);
  upserts(
    'partner_staff',
    byId(mirror.partnerStaff, staffKey),
    pulled.partnerStaff,
    staffKey,
    (value, created) => ({ kind: 'partner_staff', op: 'upsert', value, created }),
  );
  // Staff of a removed enterprise go with it.
  for (const s of mirror.partnerStaff)
    if (!staffAfter.has(staffKey(s)) && partnersAfter.has(s.corpId))
      changes.push({ kind: 'partner_staff', op: 'remove', corpId: s.corpId, staffId: s.staffId });
  for (const p of mirror.partners)
    if (!partnersAfter.has(p.corpId)) changes.push({ kind: 'partner', op: 'remove', id: p.corpId });

  const employeesAfter = byId(pulled.employees, (e) => e.employeeId);
  upserts(
    'employee',
    byId(mirror.employees, (e) => e.employeeId),
    pulled.employees,
    (e) => e.employeeId,
    (value, created, old) => ({
      kind: 'employee',
      op: 'upsert',
      value,
      created,
      statusChanged: old !== undefined && old.status !== value.status,
    }),
  );
  for (const e of mirror.employees)
    if (!employeesAfter.has(e.employeeId)) {
      if (e.status === 'left') unchanged.employee++;
      else changes.push({ kind: 'employee', op: 'leave', id: e.employeeId });
    }

  const customersAfter = byId(pulled.customers, (c) => c.externalUserId);
  upserts(
    'customer',
    byId(mirror.customers, (c) => c.externalUserId),
    pulled.customers,
    (c) => c.externalUserId,
    (value, created) => ({ kind: 'customer', op: 'upsert', value, created }),
  );
  for (const c of mirror.customers)
    if (!customersAfter.has(c.externalUserId))
      changes.push({ kind: 'customer', op: 'remove', id: c.externalUserId });

  return { changes, unchanged };
}

/** Departments ordered so that a parent comes before its children (unknown parents first, as given). */
function parentsFirst(departments: Department[]): Department[] {
  const byParent = new Map<string | null, Department[]>();
  const ids = new Set(departments.map((d) => d.departmentId));
  for (const d of departments) {
    const parent = d.parentId !== null && ids.has(d.parentId) ? d.parentId : null;
    byParent.set(parent, [...(byParent.get(parent) ?? []), d]);
  }
  const out: Department[] = [];
  const visit = (parent: string | null) => {
    for (const d of byParent.get(parent) ?? []) {
      out.push(d);
      visit(d.departmentId);
    }
  };
  visit(null);
  // A cycle in the source never reaches a root: those are appended last (the write path refuses them).
  const placed = new Set(out.map((d) => d.departmentId));
  return [...out, ...departments.filter((d) => !placed.has(d.departmentId))];
}

function childrenFirst(departments: Department[]): Department[] {
  return parentsFirst(departments).reverse();
}
