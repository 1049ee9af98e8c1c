import type { DirectoryIntegrationEventV1 } from '@tagguard/contracts';

/** The row one directory event asks the copy to hold (if it is newer than what the copy has). */
export interface CopyRow {
  tenantId: string;
  kind: 'department' | 'employee' | 'partner' | 'partner_staff' | 'customer';
  objectId: string;
  revision: string;
  removed: boolean;
  status: string | null;
  partial: boolean;
  data: object;
}

const STATUSES = ['active', 'disabled', 'left'];

/** Maps an event to its row; a payload missing what the copy needs is refused, naming the field. */
export function toCopyRow(event: DirectoryIntegrationEventV1): CopyRow {
  const { tenantId, revision, ...data } = event.data as Record<string, unknown> & {
    tenantId: string;
    revision: string;
  };
  if (!tenantId || tenantId.length > 128)
    throw new Error(`${event.type}: field "tenantId" must be 1 to 128 characters`);
  if (!/^\d{1,19}$/.test(revision)) throw new Error(`${event.type}: field "revision" must be a number`);
  const id = (field: string): string => {
    const value = data[field];
    if (typeof value !== 'string' || value === '' || value.length > 256)
      throw new Error(`${event.type}: field "${field}" must be a non-empty string`);
    return value;
  };
  const row = (kind: CopyRow['kind'], objectId: string, removed: boolean) => ({
    tenantId,
    kind,
    objectId,
    revision,
    removed,
    status: null,
    partial: false,
    data: removed ? {} : data,
  });
  switch (event.type) {
    case 'directory.department_upserted.v1':
      return row('department', id('departmentId'), false);
    case 'directory.department_removed.v1':
      return row('department', id('departmentId'), true);
    case 'directory.employee_upserted.v1':
    case 'directory.employee_status_changed.v1': {
      const status = data['status'];
      if (typeof status !== 'string' || !STATUSES.includes(status))
        throw new Error(`${event.type}: field "status" must be one of ${STATUSES.join('/')}`);
      return {
        ...row('employee', id('employeeId'), false),
        status,
        // The status change is published beside the upsert: it carries only the status.
        partial: event.type === 'directory.employee_status_changed.v1',
      };
    }
    case 'directory.partner_enterprise_upserted.v1':
      return row('partner', id('corpId'), false);
    case 'directory.partner_enterprise_removed.v1':
      return row('partner', id('corpId'), true);
    case 'directory.partner_staff_upserted.v1':
      return row('partner_staff', `${id('corpId')}/${id('staffId')}`, false);
    case 'directory.partner_staff_removed.v1':
      return row('partner_staff', `${id('corpId')}/${id('staffId')}`, true);
    case 'directory.customer_upserted.v1':
      return row('customer', id('externalUserId'), false);
    case 'directory.customer_removed.v1':
      return row('customer', id('externalUserId'), true);
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}
