// The directory's objects as sync-service's domain knows them (pure; no I/O imports). The public
// integration events (libs/contracts directory-events.v1) carry the same shapes.

export type EmployeeStatus = 'active' | 'disabled' | 'left';
export type PartnerRelation = 'upstream' | 'downstream' | 'connected';

export type Department = {
  departmentId: string;
  name: string;
  parentId: string | null;
  order: number;
  leaderIds: string[];
};

export type Employee = {
  employeeId: string;
  name: string;
  departmentIds: string[];
  mainDepartmentId: string | null;
  position: string;
  status: EmployeeStatus;
  leaderInDepartmentIds: string[];
};

export type PartnerEnterprise = { corpId: string; name: string; relation: PartnerRelation };
export type PartnerStaff = { corpId: string; staffId: string; name: string };

export type CustomerFollower = {
  employeeId: string;
  remark: string;
  description: string;
  remarkCorpName: string;
  remarkMobiles: string[];
};

export type Customer = {
  externalUserId: string;
  name: string;
  corpName: string;
  followers: CustomerFollower[];
};

/** A whole directory as one source sees it at one moment (a full pull). */
export type DirectorySnapshot = {
  departments: Department[];
  employees: Employee[];
  partners: PartnerEnterprise[];
  partnerStaff: PartnerStaff[];
  customers: Customer[];
};

export type DirectoryObjectRef =
  | { kind: 'department'; departmentId: string }
  | { kind: 'employee'; employeeId: string }
  | { kind: 'customer'; externalUserId: string }
  | { kind: 'partner'; corpId: string }
  | { kind: 'partner_staff'; corpId: string; staffId: string };

/** The current state of one object, re-read from the source; `absent` when the source no longer has it. */
export type DirectoryObjectState =
  | { kind: 'department'; departmentId: string; value: Department | 'absent' }
  | { kind: 'employee'; employeeId: string; value: Employee | 'absent' }
  | { kind: 'customer'; externalUserId: string; value: Customer | 'absent' }
  | { kind: 'partner'; corpId: string; value: PartnerEnterprise | 'absent' }
  | { kind: 'partner_staff'; corpId: string; staffId: string; value: PartnerStaff | 'absent' };
