import { streamName, tenantScopedId } from '@tagguard/event-store';

// permission-service's streams. Each carries its tenant in the name (tenantScopedId: no two tenant/id
// pairs share a name). Roles, assignments, groups, words and freezes have a stream per object; the
// permission tree is one stream per tenant, so a rule and its place in the order change in one append.
export const ROLE_CATEGORY = 'permissionRole';
export const ASSIGNMENT_CATEGORY = 'permissionAssignment';
export const GROUP_CATEGORY = 'permissionGroup';
export const TREE_CATEGORY = 'permissionTree';
export const WORD_CATEGORY = 'permissionWord';
export const FREEZE_CATEGORY = 'permissionFreeze';
export const POLICY_CATEGORIES = [
  ROLE_CATEGORY,
  ASSIGNMENT_CATEGORY,
  GROUP_CATEGORY,
  TREE_CATEGORY,
  WORD_CATEGORY,
  FREEZE_CATEGORY,
];
/** The write side's own: the projections and the relay never read it. */
export const REQUEST_KEY_CATEGORY = 'permissionRequestKey';

export const roleStream = (tenantId: string, roleId: string): string =>
  streamName(ROLE_CATEGORY, tenantScopedId(tenantId, roleId));
export const assignmentStream = (tenantId: string, assignmentId: string): string =>
  streamName(ASSIGNMENT_CATEGORY, tenantScopedId(tenantId, assignmentId));
export const groupStream = (tenantId: string, groupId: string): string =>
  streamName(GROUP_CATEGORY, tenantScopedId(tenantId, groupId));
export const treeStream = (tenantId: string): string => streamName(TREE_CATEGORY, tenantId);
export const wordStream = (tenantId: string, wordId: string): string =>
  streamName(WORD_CATEGORY, tenantScopedId(tenantId, wordId));
export const freezeStream = (tenantId: string, actorId: string): string =>
  streamName(FREEZE_CATEGORY, tenantScopedId(tenantId, actorId));
