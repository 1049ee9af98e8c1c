import { directoryV1 } from '@tagguard/contracts';
import type { EmployeeStatus, PartnerRelation } from './domain/directory.model';
import { invalid } from './domain/directory.errors';
import type {
  CustomerView,
  DepartmentView,
  EmployeeView,
  PartnerStaffView,
  PartnerView,
} from './projections/directory-view/directory-view.entities';

const S = directoryV1.EmployeeStatus;
const R = directoryV1.PartnerRelation;

const STATUS_IN: Partial<Record<string, EmployeeStatus>> = {
  [S.EMPLOYEE_STATUS_ACTIVE]: 'active',
  [S.EMPLOYEE_STATUS_DISABLED]: 'disabled',
  [S.EMPLOYEE_STATUS_LEFT]: 'left',
};
const STATUS_OUT: Record<EmployeeStatus, directoryV1.EmployeeStatus> = {
  active: S.EMPLOYEE_STATUS_ACTIVE,
  disabled: S.EMPLOYEE_STATUS_DISABLED,
  left: S.EMPLOYEE_STATUS_LEFT,
};
const RELATION_IN: Partial<Record<string, PartnerRelation>> = {
  [R.PARTNER_RELATION_UPSTREAM]: 'upstream',
  [R.PARTNER_RELATION_DOWNSTREAM]: 'downstream',
  [R.PARTNER_RELATION_CONNECTED]: 'connected',
};
const RELATION_OUT: Record<PartnerRelation, directoryV1.PartnerRelation> = {
  upstream: R.PARTNER_RELATION_UPSTREAM,
  downstream: R.PARTNER_RELATION_DOWNSTREAM,
  connected: R.PARTNER_RELATION_CONNECTED,
};

/** undefined for UNSPECIFIED (where the request may leave it out). */
export const statusIn = (value: directoryV1.EmployeeStatus): EmployeeStatus | undefined => STATUS_IN[value];

export function relationIn(value: directoryV1.PartnerRelation): PartnerRelation {
  const relation = RELATION_IN[value];
  if (!relation) throw invalid('relation', 'must be upstream, downstream or connected');
  return relation;
}

/** int64 order as a number (WeCom's order fits in 32 bits). */
export function orderIn(value: string | undefined): number {
  const n = Number(value ?? '0');
  if (!Number.isSafeInteger(n)) throw invalid('order', 'must be a whole number');
  return n;
}

export const toDepartment = (d: DepartmentView): directoryV1.Department => ({
  departmentId: d.departmentId,
  name: d.name,
  parentId: d.parentId,
  order: d.order,
  leaderIds: d.leaderIds,
  revision: String(d.revision),
});

export const toEmployee = (e: EmployeeView): directoryV1.Employee => ({
  employeeId: e.employeeId,
  name: e.name,
  departmentIds: e.departmentIds,
  mainDepartmentId: e.mainDepartmentId ?? '',
  position: e.position,
  status: STATUS_OUT[e.status],
  leaderInDepartmentIds: e.leaderInDepartmentIds,
  revision: String(e.revision),
});

export const toPartner = (p: PartnerView, staff: PartnerStaffView[]): directoryV1.Partner => ({
  corpId: p.corpId,
  name: p.name,
  relation: RELATION_OUT[p.relation],
  staff: staff.map((s) => ({ staffId: s.staffId, name: s.name })),
  revision: String(p.revision),
});

export const toCustomer = (c: CustomerView): directoryV1.Customer => ({
  externalUserId: c.externalUserId,
  name: c.name,
  corpName: c.corpName,
  followers: c.followers as directoryV1.CustomerFollower[],
  revision: String(c.revision),
});
