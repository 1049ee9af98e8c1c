import type {
  Customer,
  Department,
  DirectorySnapshot,
  Employee,
  PartnerEnterprise,
  PartnerStaff,
} from '../domain/directory.model';
import { sameValue } from '../domain/directory-rules';
import { directoryRefKey, type PullFailure } from '../sources/directory-source.port';
import type { DirectoryObjectRef } from '../domain/directory.model';

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

/** A removal or departure not asked for because a failed read covered the object (`cause` is the failure's ref). */
export type SkippedRemoval = { ref: string; cause: string };

export type DirectoryDiff = {
  changes: DirectoryChange[];
  unchanged: Record<DirectoryKind, number>;
  skipped: SkippedRemoval[];
};

const byId = <T>(items: T[], id: (t: T) => string): Map<string, T> => new Map(items.map((t) => [id(t), t]));

/**
 * What must be written for the mirror to equal the pulled snapshot, in an order the write path accepts:
 * parents before children, a department's children moved away before it is removed, an enterprise
 * before its staff. Objects equal on both sides are only counted.
 * A partial pull is no evidence of absence: nothing a failed read covered is removed or departed
 * (an employee of a department whose users failed, the customers and follow relations of a follower
 * whose customers failed — or who was not read at all —, any partner or staff when their list failed).
 * Creations and updates of what was read still apply. Objects `superseded` (changed at the source while
 * the pull ran, applied from their own re-read) are left alone: the pull's view of them is older.
 */
export function diffDirectory(
  mirror: DirectorySnapshot,
  pulled: DirectorySnapshot,
  failures: readonly PullFailure[] = [],
  superseded: readonly DirectoryObjectRef[] = [],
): DirectoryDiff {
  const unchanged: Record<DirectoryKind, number> = {
    department: 0,
    employee: 0,
    partner: 0,
    partner_staff: 0,
    customer: 0,
  };
  const changes: DirectoryChange[] = [];
  const skipped: SkippedRemoval[] = [];
  const blind = blindSpots(mirror, pulled, failures);
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
    if (!staffAfter.has(staffKey(s)) && partnersAfter.has(s.corpId)) {
      const cause = blind.staff ?? blind.staffMembers.get(`${s.corpId}/${s.staffId}`);
      if (cause) skipped.push({ ref: `partner_staff/${s.corpId}/${s.staffId}`, cause });
      else changes.push({ kind: 'partner_staff', op: 'remove', corpId: s.corpId, staffId: s.staffId });
    }
  for (const p of mirror.partners)
    if (!partnersAfter.has(p.corpId)) {
      if (blind.partners) skipped.push({ ref: `partner/${p.corpId}`, cause: blind.partners });
      else changes.push({ kind: 'partner', op: 'remove', id: p.corpId });
    }

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
      const cause = blind.employees.get(e.employeeId);
      if (e.status === 'left') unchanged.employee++;
      else if (cause) skipped.push({ ref: `employee/${e.employeeId}`, cause });
      else changes.push({ kind: 'employee', op: 'leave', id: e.employeeId });
    }

  const customersBefore = byId(mirror.customers, (c) => c.externalUserId);
  const customersAfter = byId(pulled.customers, (c) => c.externalUserId);
  upserts(
    'customer',
    customersBefore,
    pulled.customers.map((c) =>
      keepUnseenFollowers(c, customersBefore.get(c.externalUserId), blind.followers),
    ),
    (c) => c.externalUserId,
    (value, created) => ({ kind: 'customer', op: 'upsert', value, created }),
  );
  for (const c of mirror.customers)
    if (!customersAfter.has(c.externalUserId)) {
      const cause = c.followers.map((f) => blind.followers.get(f.employeeId)).find((x) => x !== undefined);
      if (cause) skipped.push({ ref: `customer/${c.externalUserId}`, cause });
      else changes.push({ kind: 'customer', op: 'remove', id: c.externalUserId });
    }

  if (superseded.length === 0) return { changes, unchanged, skipped };
  const newer = new Set(superseded.map(directoryRefKey));
  const kept = changes.filter((c) => {
    const ref = changeRef(c);
    if (!newer.has(ref)) return true;
    skipped.push({ ref, cause: 'signalled during the pull' });
    return false;
  });
  return { changes: kept, unchanged, skipped };
}

/** The key of the object a change writes (as `directoryRefKey` names it). */
export function changeRef(change: DirectoryChange): string {
  if (change.op === 'upsert') {
    const v = change.value as unknown as Record<string, string>;
    if (change.kind === 'partner_staff') return `partner_staff/${v['corpId']}/${v['staffId']}`;
    return `${change.kind}/${v['departmentId'] ?? v['employeeId'] ?? v['externalUserId'] ?? v['corpId']}`;
  }
  return `${change.kind}/${'id' in change ? change.id : `${change.corpId}/${change.staffId}`}`;
}

type BlindSpots = {
  /** employee id → the failure that hid them */
  employees: Map<string, string>;
  /** follower id → the failure that hid their customers */
  followers: Map<string, string>;
  partners?: string;
  staff?: string;
  staffMembers: Map<string, string>;
};

/** What the pull could not see, from its failures, in the mirror's terms. */
function blindSpots(
  mirror: DirectorySnapshot,
  pulled: DirectorySnapshot,
  failures: readonly PullFailure[],
): BlindSpots {
  const spots: BlindSpots = { employees: new Map(), followers: new Map(), staffMembers: new Map() };
  const failedDepartments = new Map<string, string>();
  for (const f of failures) {
    const c = f.covers;
    if (c.kind === 'department_users') failedDepartments.set(c.departmentId, f.ref);
    else if (c.kind === 'follower_customers') spots.followers.set(c.employeeId, f.ref);
    else if (c.kind === 'partners') spots.partners ??= f.ref;
    else if (c.kind === 'partner_staff') spots.staff ??= f.ref;
    else spots.staffMembers.set(`${c.corpId}/${c.staffId}`, f.ref);
  }
  if (failedDepartments.size === 0) return spots;
  const pulledIds = new Set(pulled.employees.map((e) => e.employeeId));
  for (const e of mirror.employees) {
    if (pulledIds.has(e.employeeId)) continue;
    const cause = e.departmentIds.map((d) => failedDepartments.get(d)).find((x) => x !== undefined);
    if (cause === undefined) continue;
    spots.employees.set(e.employeeId, cause);
    // An employee not read had no customers read either: their follow relations are unseen too.
    if (!spots.followers.has(e.employeeId)) spots.followers.set(e.employeeId, cause);
  }
  return spots;
}

/**
 * A customer as pulled, with the mirror's follow relations of followers whose customers were not read
 * (kept in the mirror's order, so a repeated partial pull writes nothing).
 */
function keepUnseenFollowers(
  pulled: Customer,
  before: Customer | undefined,
  unseen: Map<string, string>,
): Customer {
  if (!before || !before.followers.some((f) => unseen.has(f.employeeId))) return pulled;
  const fresh = new Map(pulled.followers.map((f) => [f.employeeId, f]));
  const merged = before.followers.flatMap((f) => {
    const now = fresh.get(f.employeeId);
    fresh.delete(f.employeeId);
    return now ? [now] : unseen.has(f.employeeId) ? [f] : [];
  });
  return { ...pulled, followers: [...merged, ...fresh.values()] };
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
