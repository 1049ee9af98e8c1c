import {
  DIRECTORY_EVENTS_TOPIC_V1,
  directoryEventKeyV1,
  type DirectoryIntegrationEventV1,
} from '@tagguard/contracts';
import type { RecordedEvent } from '@tagguard/event-store';
import type { IntegrationMessage } from '@tagguard/messaging';
import type { CustomerEvent } from '../customers/domain/customer.decider';
import type { DepartmentTreeEvent } from '../departments/domain/department-tree.decider';
import type { EmployeeEvent } from '../employees/domain/employee.decider';
import type { PartnerEvent } from '../partners/domain/partner.decider';

export type DirectoryEvent = DepartmentTreeEvent | EmployeeEvent | PartnerEvent | CustomerEvent;
type Base = { tenantId: string; revision: string };

/** Domain event → integration event, explicitly, field by field (one for one). */
export function toIntegrationEvent(
  event: DirectoryEvent,
  base: Base,
): DirectoryIntegrationEventV1 | undefined {
  switch (event.type) {
    case 'DepartmentUpserted': {
      const d = event.data.department;
      return {
        type: 'directory.department_upserted.v1',
        data: {
          ...base,
          departmentId: d.departmentId,
          name: d.name,
          parentId: d.parentId,
          order: d.order,
          leaderIds: d.leaderIds,
        },
      };
    }
    case 'DepartmentRemoved':
      return {
        type: 'directory.department_removed.v1',
        data: { ...base, departmentId: event.data.departmentId },
      };
    case 'EmployeeUpserted': {
      const e = event.data.employee;
      return {
        type: 'directory.employee_upserted.v1',
        data: {
          ...base,
          employeeId: e.employeeId,
          name: e.name,
          departmentIds: e.departmentIds,
          mainDepartmentId: e.mainDepartmentId,
          position: e.position,
          status: e.status,
          leaderInDepartmentIds: e.leaderInDepartmentIds,
        },
      };
    }
    case 'EmployeeStatusChanged':
      return {
        type: 'directory.employee_status_changed.v1',
        data: {
          ...base,
          employeeId: event.data.employeeId,
          status: event.data.status,
          previousStatus: event.data.previousStatus,
        },
      };
    case 'PartnerUpserted': {
      const p = event.data.partner;
      return {
        type: 'directory.partner_enterprise_upserted.v1',
        data: { ...base, corpId: p.corpId, name: p.name, relation: p.relation },
      };
    }
    case 'PartnerRemoved':
      return {
        type: 'directory.partner_enterprise_removed.v1',
        data: { ...base, corpId: event.data.corpId },
      };
    case 'PartnerStaffUpserted': {
      const s = event.data.staff;
      return {
        type: 'directory.partner_staff_upserted.v1',
        data: { ...base, corpId: s.corpId, staffId: s.staffId, name: s.name },
      };
    }
    case 'PartnerStaffRemoved':
      return {
        type: 'directory.partner_staff_removed.v1',
        data: { ...base, corpId: event.data.corpId, staffId: event.data.staffId },
      };
    case 'CustomerUpserted': {
      const c = event.data.customer;
      return {
        type: 'directory.customer_upserted.v1',
        data: {
          ...base,
          externalUserId: c.externalUserId,
          name: c.name,
          corpName: c.corpName,
          followers: c.followers.map((f) => ({
            employeeId: f.employeeId,
            remark: f.remark,
            description: f.description,
            remarkCorpName: f.remarkCorpName,
            remarkMobiles: f.remarkMobiles,
          })),
        },
      };
    }
    case 'CustomerRemoved':
      return {
        type: 'directory.customer_removed.v1',
        data: { ...base, externalUserId: event.data.externalUserId },
      };
    default:
      return undefined;
  }
}

/** What the relay publishes for one recorded directory event. */
export function toIntegrationMessage(recorded: RecordedEvent): IntegrationMessage {
  const event = toIntegrationEvent({ type: recorded.type, data: recorded.data } as DirectoryEvent, {
    tenantId: recorded.metadata.tenantId,
    revision: String(recorded.revision),
  });
  // Every event of a directory stream has a public counterpart: an unknown one is parked by the relay.
  if (!event) throw new Error(`no integration event for ${recorded.type}`);
  return {
    topic: DIRECTORY_EVENTS_TOPIC_V1,
    key: directoryEventKeyV1(event),
    eventId: recorded.id,
    type: event.type,
    schemaVersion: 1,
    data: event.data,
    metadata: recorded.metadata,
  };
}
