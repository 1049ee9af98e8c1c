import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'departments' })
@Index(['tenantId', 'parentId', 'order', 'departmentId'])
export class DepartmentView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'department_id', type: 'text' }) departmentId!: string;
  @Column({ type: 'text' }) name!: string;
  /** '' for a root (an indexable key for "the roots"). */
  @Column({ name: 'parent_id', type: 'text' }) parentId!: string;
  @Column({ name: 'sort_order', type: 'bigint' }) order!: string;
  @Column({ name: 'leader_ids', type: 'jsonb' }) leaderIds!: string[];
  @Column({ type: 'integer' }) revision!: number;
}

/** Employees are never deleted: a departed one is status 'left'. */
@Entity({ name: 'employees' })
@Index(['tenantId', 'status', 'employeeId'])
export class EmployeeView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'employee_id', type: 'text' }) employeeId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'department_ids', type: 'jsonb' }) departmentIds!: string[];
  @Column({ name: 'main_department_id', type: 'text', nullable: true }) mainDepartmentId!: string | null;
  @Column({ type: 'text' }) position!: string;
  @Column({ type: 'text' }) status!: 'active' | 'disabled' | 'left';
  @Column({ name: 'leader_in_department_ids', type: 'jsonb' }) leaderInDepartmentIds!: string[];
  @Column({ type: 'integer' }) revision!: number;
}

/** Who is in which department (with the status, so "active employees of a department" is one index scan). */
@Entity({ name: 'employee_departments' })
@Index(['tenantId', 'departmentId', 'status', 'employeeId'])
export class EmployeeDepartmentView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'employee_id', type: 'text' }) employeeId!: string;
  @PrimaryColumn({ name: 'department_id', type: 'text' }) departmentId!: string;
  @Column({ type: 'text' }) status!: string;
}

@Entity({ name: 'partners' })
export class PartnerView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'corp_id', type: 'text' }) corpId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) relation!: 'upstream' | 'downstream' | 'connected';
  @Column({ type: 'integer' }) revision!: number;
}

@Entity({ name: 'partner_staff' })
export class PartnerStaffView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'corp_id', type: 'text' }) corpId!: string;
  @PrimaryColumn({ name: 'staff_id', type: 'text' }) staffId!: string;
  @Column({ type: 'text' }) name!: string;
}

@Entity({ name: 'customers' })
export class CustomerView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'external_user_id', type: 'text' }) externalUserId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'corp_name', type: 'text' }) corpName!: string;
  @Column({ type: 'jsonb' }) followers!: object[];
  @Column({ type: 'integer' }) revision!: number;
}

@Entity({ name: 'customer_followers' })
@Index(['tenantId', 'employeeId', 'externalUserId'])
export class CustomerFollowerView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'external_user_id', type: 'text' }) externalUserId!: string;
  @PrimaryColumn({ name: 'employee_id', type: 'text' }) employeeId!: string;
}

/** Each stream's last applied revision: a replayed or redelivered event at or below it is skipped. */
@Entity({ name: 'projected_streams' })
export class ProjectedStream {
  @PrimaryColumn({ name: 'stream_id', type: 'text' }) streamId!: string;
  @Column({ type: 'bigint' }) revision!: string;
}

export const DIRECTORY_VIEW_ENTITIES = [
  DepartmentView,
  EmployeeView,
  EmployeeDepartmentView,
  PartnerView,
  PartnerStaffView,
  CustomerView,
  CustomerFollowerView,
  ProjectedStream,
];
