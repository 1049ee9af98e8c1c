import { topicName } from '@tagguard/messaging';

/**
 * What other services may know about the tenant's permission policy, published by permission-service on
 * one topic. Like the directory's, events carry the object's whole current state ("fat"): a local copy
 * (tag-service's in-process policy, D56) is an upsert by id, a replay is harmless, and an older revision
 * than the one held is ignored. An object is `<tenantId>/<kind>/<id>` (permissionEventKeyV1); the Kafka key
 * is the tenant (permissionPartitionKeyV1).
 * Version 1; a breaking change gets a new topic.
 */
export const PERMISSION_EVENTS_TOPIC_V1 = topicName({
  service: 'permission-service',
  visibility: 'public',
  aggregate: 'policy',
  event: 'events',
  version: 1,
});

/**
 * `revision` is the object's own stream revision (decimal string); `position` is the permission-service
 * event store's global position of the event, the consistency token a check may wait for.
 */
type Base = { tenantId: string; revision: string; position: string };

/**
 * An action a role's function scope grants and a rule names: `<resource kind>_tags.<verb>`, e.g.
 * `customer_tags.view`, `customer_tags.edit`, `member_tags.manage_members`, `customer_fields.view`.
 * A scope may end in `.*` (every verb of that kind) or be `*`. The catalogue is ACTIONS_V1.
 */
export type PermissionActionV1 = string;

export const ACTIONS_V1 = [
  'member_tags.view',
  'member_tags.edit',
  'member_tags.manage_members',
  'customer_tags.view',
  'customer_tags.edit',
  'customer_tags.manage_members',
  'customer_fields.view',
  'partner_tags.view',
  'partner_tags.edit',
  'partner_tags.manage_members',
  'governance.manage',
  'policy.manage',
] as const;

/** Who a rule or a role assignment is about. `includeSubDepartments` only means something for departments. */
export type PolicySubjectV1 =
  | { kind: 'employee'; id: string }
  | { kind: 'department'; id: string; includeSubDepartments: boolean }
  | { kind: 'role'; id: string };

/** What a rule is about. A tag group rule covers every tag below the group. */
export type PolicyResourceV1 =
  { kind: 'permission_group'; id: string } | { kind: 'tag'; id: string } | { kind: 'tag_group'; id: string };

export type RoleV1 = {
  roleId: string;
  name: string;
  /** The function scope: the actions this role allows (see PermissionActionV1). */
  scopes: PermissionActionV1[];
  removed: boolean;
  /**
   * The role stream's revision its current definition began at (D80): a role removed and defined again
   * starts a new one. Absent on a removal and on events written before it was carried.
   */
  definedSince?: number;
};

export type RoleAssignmentV1 = {
  assignmentId: string;
  roleId: string;
  /** An employee, or a department (± its sub-departments); never a role. */
  subject: Exclude<PolicySubjectV1, { kind: 'role' }>;
  /** RFC 3339; null: no expiry. An expired assignment grants nothing. */
  expiresAt: string | null;
  removed: boolean;
  /**
   * The `definedSince` of the role definition this assignment was made against (D80): it holds only while
   * the role's current definition has the same, so every copy drops a straggler from its latest rows
   * alone. Absent on events written before it was carried (they fold by store position, as before).
   */
  roleDefinedSince?: number;
};

export type PermissionGroupV1 = {
  groupId: string;
  name: string;
  tagIds: string[];
  /** Tag groups: every tag below them is in the permission group too. */
  tagGroupIds: string[];
  removed: boolean;
};

export type PermissionRuleV1 = {
  ruleId: string;
  effect: 'grant' | 'deny';
  subject: PolicySubjectV1;
  resource: PolicyResourceV1;
  /** The actions the rule is about; empty: every action. */
  actions: PermissionActionV1[];
  /**
   * Starred (带星号): a department subject's rule inherits downward, to every sub-department's employees,
   * and a tag group resource's rule to every tag below it. Unstarred: the named department / group only.
   */
  starred: boolean;
  description: string;
  removed: boolean;
};

/** The permission tree's order: the first rule in this list that applies decides (index 0 = top). */
export type RuleOrderV1 = { ruleIds: string[] };

export type SensitiveWordV1 = {
  wordId: string;
  word: string;
  category: string;
  /** The fields the word is scanned in (e.g. `name`, `description`, `remark`); empty: every field. */
  fields: string[];
  removed: boolean;
};

/** A freeze: a frozen actor's writes are denied everywhere. `source`: tag-service's guard or an admin. */
export type FreezeV1 = {
  actorId: string;
  frozen: boolean;
  source: 'tag-service' | 'manual';
  reason: string;
  /** RFC 3339; null: until unfrozen. */
  until: string | null;
};

export type PermissionIntegrationEventV1 =
  | { type: 'permission.role_changed.v1'; data: Base & RoleV1 }
  | { type: 'permission.role_assignment_changed.v1'; data: Base & RoleAssignmentV1 }
  | { type: 'permission.group_changed.v1'; data: Base & PermissionGroupV1 }
  | { type: 'permission.rule_changed.v1'; data: Base & PermissionRuleV1 }
  | { type: 'permission.rules_reordered.v1'; data: Base & RuleOrderV1 & { by: string } }
  | { type: 'permission.sensitive_word_changed.v1'; data: Base & SensitiveWordV1 }
  | { type: 'permission.freeze_changed.v1'; data: Base & FreezeV1 };

export const PERMISSION_INTEGRATION_TYPES_V1: readonly PermissionIntegrationEventV1['type'][] = [
  'permission.role_changed.v1',
  'permission.role_assignment_changed.v1',
  'permission.group_changed.v1',
  'permission.rule_changed.v1',
  'permission.rules_reordered.v1',
  'permission.sensitive_word_changed.v1',
  'permission.freeze_changed.v1',
];

const TYPES = new Set<string>(PERMISSION_INTEGRATION_TYPES_V1);

/** Validates an inbound message's type and envelope fields; consumers call it before trusting the payload. */
export function parsePermissionIntegrationEventV1(type: string, data: unknown): PermissionIntegrationEventV1 {
  if (!TYPES.has(type)) throw new Error(`unknown permission integration event type "${type}"`);
  const d = data as Record<string, unknown>;
  for (const field of ['tenantId', 'revision', 'position']) {
    if (typeof d?.[field] !== 'string') throw new Error(`${type}: field "${field}" must be a string`);
  }
  return { type, data: d } as PermissionIntegrationEventV1;
}

/**
 * The Kafka key of a policy event: its tenant. A tenant's events stay on one partition in the order of
 * permission-service's store, so a copy that has folded position P has folded every earlier event of the
 * tenant, and waiting for a write's token is exact (D83).
 */
export const permissionPartitionKeyV1 = (event: PermissionIntegrationEventV1): string => event.data.tenantId;

/** The object a policy event is about (`<tenantId>/<kind>/<id>`): a copy keeps one row per object. */
export function permissionEventKeyV1(event: PermissionIntegrationEventV1): string {
  const t = event.data.tenantId;
  switch (event.type) {
    case 'permission.role_changed.v1':
      return `${t}/role/${event.data.roleId}`;
    case 'permission.role_assignment_changed.v1':
      return `${t}/assignment/${event.data.assignmentId}`;
    case 'permission.group_changed.v1':
      return `${t}/group/${event.data.groupId}`;
    case 'permission.rule_changed.v1':
      return `${t}/rule/${event.data.ruleId}`;
    case 'permission.rules_reordered.v1':
      return `${t}/rule-order/tree`;
    case 'permission.sensitive_word_changed.v1':
      return `${t}/word/${event.data.wordId}`;
    case 'permission.freeze_changed.v1':
      return `${t}/freeze/${event.data.actorId}`;
  }
}
