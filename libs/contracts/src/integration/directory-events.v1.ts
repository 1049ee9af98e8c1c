import { topicName } from '@tagguard/messaging';

/**
 * What other services may know about the enterprise directory (TagGuard's mirror of WeCom contacts),
 * published by sync-service on one topic. Events carry the object's whole current state ("fat"), so a
 * local copy is an upsert by id and a replay is harmless. The Kafka key is `<tenantId>/<kind>/<id>`:
 * one object's events stay in order (directory ids such as WeCom userids repeat across tenants).
 * Version 1; a breaking change gets a new topic.
 */
export const DIRECTORY_EVENTS_TOPIC_V1 = topicName({
  service: 'sync-service',
  visibility: 'public',
  aggregate: 'directory',
  event: 'events',
  version: 1,
});

/** `revision` is the object's own stream revision: a copy ignores an event older than what it holds. */
type Base = { tenantId: string; revision: string };

export type EmployeeStatusV1 = 'active' | 'disabled' | 'left';
export type PartnerRelationV1 = 'upstream' | 'downstream' | 'connected';

export type DepartmentV1 = {
  departmentId: string;
  name: string;
  /** null for a root department. */
  parentId: string | null;
  /** WeCom's `order`: a higher value sorts first among siblings. */
  order: number;
  leaderIds: string[];
};

export type EmployeeV1 = {
  employeeId: string;
  name: string;
  departmentIds: string[];
  mainDepartmentId: string | null;
  position: string;
  status: EmployeeStatusV1;
  /** The departments (of departmentIds) this employee leads (WeCom's is_leader_in_dept). */
  leaderInDepartmentIds: string[];
};

export type PartnerEnterpriseV1 = { corpId: string; name: string; relation: PartnerRelationV1 };

export type PartnerStaffV1 = { corpId: string; staffId: string; name: string };

export type CustomerFollowerV1 = {
  employeeId: string;
  remark: string;
  description: string;
  remarkCorpName: string;
  remarkMobiles: string[];
};

export type CustomerV1 = {
  externalUserId: string;
  name: string;
  corpName: string;
  followers: CustomerFollowerV1[];
};

export type DirectoryIntegrationEventV1 =
  | { type: 'directory.department_upserted.v1'; data: Base & DepartmentV1 }
  | { type: 'directory.department_removed.v1'; data: Base & { departmentId: string } }
  /** Any change to an employee, status included: `status` is always the current one. */
  | { type: 'directory.employee_upserted.v1'; data: Base & EmployeeV1 }
  /** Also published beside the upsert when the status changed, for consumers that only care about that. */
  | {
      type: 'directory.employee_status_changed.v1';
      data: Base & { employeeId: string; status: EmployeeStatusV1; previousStatus: EmployeeStatusV1 };
    }
  | { type: 'directory.partner_enterprise_upserted.v1'; data: Base & PartnerEnterpriseV1 }
  | { type: 'directory.partner_enterprise_removed.v1'; data: Base & { corpId: string } }
  | { type: 'directory.partner_staff_upserted.v1'; data: Base & PartnerStaffV1 }
  | { type: 'directory.partner_staff_removed.v1'; data: Base & { corpId: string; staffId: string } }
  | { type: 'directory.customer_upserted.v1'; data: Base & CustomerV1 }
  | { type: 'directory.customer_removed.v1'; data: Base & { externalUserId: string } };

export const DIRECTORY_INTEGRATION_TYPES_V1: readonly DirectoryIntegrationEventV1['type'][] = [
  'directory.department_upserted.v1',
  'directory.department_removed.v1',
  'directory.employee_upserted.v1',
  'directory.employee_status_changed.v1',
  'directory.partner_enterprise_upserted.v1',
  'directory.partner_enterprise_removed.v1',
  'directory.partner_staff_upserted.v1',
  'directory.partner_staff_removed.v1',
  'directory.customer_upserted.v1',
  'directory.customer_removed.v1',
];

const TYPES = new Set<string>(DIRECTORY_INTEGRATION_TYPES_V1);

/** Validates an inbound message's type and envelope fields; consumers call it before trusting the payload. */
export function parseDirectoryIntegrationEventV1(type: string, data: unknown): DirectoryIntegrationEventV1 {
  if (!TYPES.has(type)) throw new Error(`unknown directory integration event type "${type}"`);
  const d = data as Record<string, unknown>;
  for (const field of ['tenantId', 'revision']) {
    if (typeof d?.[field] !== 'string') throw new Error(`${type}: field "${field}" must be a string`);
  }
  return { type, data: d } as DirectoryIntegrationEventV1;
}

/** The Kafka key of a directory event: one object's events stay on one partition, in order. */
export function directoryEventKeyV1(event: DirectoryIntegrationEventV1): string {
  const d = event.data as Record<string, unknown>;
  const [kind, id] =
    'employeeId' in d
      ? ['employee', d.employeeId]
      : 'departmentId' in d
        ? ['department', d.departmentId]
        : 'externalUserId' in d
          ? ['customer', d.externalUserId]
          : 'staffId' in d
            ? ['partner_staff', `${String(d.corpId)}/${String(d.staffId)}`]
            : ['partner', d.corpId];
  return `${event.data.tenantId}/${kind}/${String(id)}`;
}
