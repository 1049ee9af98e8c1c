import type {
  Customer,
  CustomerFollower,
  Department,
  Employee,
  EmployeeStatus,
  PartnerEnterprise,
  PartnerRelation,
  PartnerStaff,
} from '../../directory/domain/directory.model';

// WeCom's JSON (as documented) to the directory's model. Pure: the source does the calls.

export type WeComDepartment = {
  id: number;
  name: string;
  parentid: number;
  order: number;
  department_leader?: string[];
};

export type WeComUser = {
  userid: string;
  name: string;
  department: number[];
  main_department?: number;
  is_leader_in_dept?: number[];
  position?: string;
  status: number;
  enable?: number;
};

export type WeComExternalContact = { external_userid: string; name: string; corp_name?: string };
export type WeComFollowInfo = {
  userid: string;
  remark?: string;
  description?: string;
  remark_corp_name?: string;
  remark_mobiles?: string[];
};

/**
 * WeCom status → ours: 1 (activated) active; 4 (not yet activated: invited, in the directory, has not
 * logged in yet) active, since an administrator put them there and they may be tagged before their first
 * login; 2 (disabled) disabled; 5 (quit) left. An explicit enable=0 is disabled whatever the status says
 * (user/get reports both). An unknown status is disabled: never grant on a value we do not understand.
 */
export function employeeStatus(status: number, enable?: number): EmployeeStatus {
  if (status === 5) return 'left';
  if (enable === 0) return 'disabled';
  if (status === 1 || status === 4) return 'active';
  return 'disabled';
}

/** WeCom's root department has parentid 0; ours has no parent. */
export function toDepartment(d: WeComDepartment): Department {
  return {
    departmentId: String(d.id),
    name: d.name,
    parentId: d.parentid === 0 ? null : String(d.parentid),
    order: d.order,
    leaderIds: [...(d.department_leader ?? [])],
  };
}

export function toEmployee(u: WeComUser): Employee {
  const departmentIds = u.department.map(String);
  const leads = u.is_leader_in_dept ?? [];
  const main = u.main_department ?? u.department[0];
  return {
    employeeId: u.userid,
    name: u.name,
    departmentIds,
    mainDepartmentId: main === undefined ? null : String(main),
    position: u.position ?? '',
    status: employeeStatus(u.status, u.enable),
    leaderInDepartmentIds: departmentIds.filter((_, i) => leads[i] === 1),
  };
}

export function toFollower(f: WeComFollowInfo): CustomerFollower {
  return {
    employeeId: f.userid,
    remark: f.remark ?? '',
    description: f.description ?? '',
    remarkCorpName: f.remark_corp_name ?? '',
    remarkMobiles: [...(f.remark_mobiles ?? [])],
  };
}

export function toCustomer(c: WeComExternalContact, followers: WeComFollowInfo[]): Customer {
  return {
    externalUserId: c.external_userid,
    name: c.name,
    corpName: c.corp_name ?? '',
    followers: followers.map(toFollower).sort((a, b) => a.employeeId.localeCompare(b.employeeId)),
  };
}

/** corpgroup business_type 1 (上下游) lists the chain's members below us; 0 (互联企业) connected ones. */
export function partnerRelation(businessType: number): PartnerRelation {
  return businessType === 1 ? 'downstream' : 'connected';
}

export function toPartner(p: { corpid: string; corp_name: string }, businessType: number): PartnerEnterprise {
  return { corpId: p.corpid, name: p.corp_name, relation: partnerRelation(businessType) };
}

/** linkedcorp userids are "CORPID/USERID". */
export function toPartnerStaff(u: { userid: string; corpid?: string; name: string }): PartnerStaff {
  const slash = u.userid.indexOf('/');
  const corpId = u.corpid ?? (slash > 0 ? u.userid.slice(0, slash) : '');
  return { corpId, staffId: slash > 0 ? u.userid.slice(slash + 1) : u.userid, name: u.name };
}
