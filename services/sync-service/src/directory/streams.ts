import { streamName, tenantScopedId } from '@tagguard/event-store';

// The directory's streams (docs/decisions.md D41). Each carries its tenant in the name, so an id of
// tenant A never reaches tenant B's data (tenantScopedId: no two tenant/id pairs share a name). Departments share one tree stream per tenant (depth and cycle
// checks see the whole tree); employees, customers and partner enterprises each have their own, so a
// large import is many small independent appends.
export const TREE_CATEGORY = 'directoryTree';
export const EMPLOYEE_CATEGORY = 'directoryEmployee';
export const PARTNER_CATEGORY = 'directoryPartner';
export const CUSTOMER_CATEGORY = 'directoryCustomer';
export const DIRECTORY_CATEGORIES = [TREE_CATEGORY, EMPLOYEE_CATEGORY, PARTNER_CATEGORY, CUSTOMER_CATEGORY];
/** The write side's own: the projection and the relay never read it. */
export const REQUEST_KEY_CATEGORY = 'directoryRequestKey';

export const treeStream = (tenantId: string): string => streamName(TREE_CATEGORY, tenantId);
export const employeeStream = (tenantId: string, employeeId: string): string =>
  streamName(EMPLOYEE_CATEGORY, tenantScopedId(tenantId, employeeId));
export const partnerStream = (tenantId: string, corpId: string): string =>
  streamName(PARTNER_CATEGORY, tenantScopedId(tenantId, corpId));
export const customerStream = (tenantId: string, externalUserId: string): string =>
  streamName(CUSTOMER_CATEGORY, tenantScopedId(tenantId, externalUserId));

export const categoryOfStream = (streamId: string): string => streamId.slice(0, streamId.indexOf('-'));
