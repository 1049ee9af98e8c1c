import {
  parsePermissionIntegrationEventV1,
  permissionEventKeyV1,
  type PermissionIntegrationEventV1,
} from '@tagguard/contracts';

/** The row one policy event asks the copy to hold (if it is newer than what the copy has). */
export interface PolicyRow {
  tenantId: string;
  objectKey: string;
  revision: string;
  position: string;
  event: PermissionIntegrationEventV1;
}

const ID_FIELDS: Record<PermissionIntegrationEventV1['type'], readonly string[]> = {
  'permission.role_changed.v1': ['roleId'],
  'permission.role_assignment_changed.v1': ['assignmentId', 'roleId'],
  'permission.group_changed.v1': ['groupId'],
  'permission.rule_changed.v1': ['ruleId'],
  'permission.rules_reordered.v1': [],
  'permission.sensitive_word_changed.v1': ['wordId'],
  'permission.freeze_changed.v1': ['actorId'],
};

/**
 * Validates an inbound policy event and maps it to its row; a payload missing what the fold needs is
 * refused naming the field (the consumer then retries and dead-letters it, never folds half an object).
 */
export function toPolicyRow(type: string, data: unknown): PolicyRow {
  const event = parsePermissionIntegrationEventV1(type, data);
  const d = event.data as unknown as Record<string, unknown>;
  if (!event.data.tenantId || event.data.tenantId.length > 128)
    throw new Error(`${type}: field "tenantId" must be 1 to 128 characters`);
  if (!/^\d{1,19}$/.test(event.data.revision)) throw new Error(`${type}: field "revision" must be a number`);
  // A position is commit·2^64 + prepare (D57): up to 39 digits, not a bigint.
  if (!/^\d{1,39}$/.test(event.data.position)) throw new Error(`${type}: field "position" must be a number`);
  for (const field of ID_FIELDS[event.type]) {
    const value = d[field];
    if (typeof value !== 'string' || value === '' || value.length > 256)
      throw new Error(`${type}: field "${field}" must be a non-empty string`);
  }
  // The role's definition (D80), optional (older events lack it): the fold compares it as a number.
  for (const field of ['definedSince', 'roleDefinedSince'])
    if (d[field] !== undefined && !(Number.isSafeInteger(d[field]) && (d[field] as number) >= 0))
      throw new Error(`${type}: field "${field}" must be a non-negative integer`);
  const arrays: Partial<Record<PermissionIntegrationEventV1['type'], readonly string[]>> = {
    'permission.role_changed.v1': ['scopes'],
    'permission.group_changed.v1': ['tagIds', 'tagGroupIds'],
    'permission.rule_changed.v1': ['actions'],
    'permission.rules_reordered.v1': ['ruleIds'],
    'permission.sensitive_word_changed.v1': ['fields'],
  };
  const removal =
    event.type === 'permission.freeze_changed.v1' ? d['frozen'] === false : d['removed'] === true;
  if (!removal)
    for (const field of arrays[event.type] ?? [])
      if (!Array.isArray(d[field]) || !(d[field] as unknown[]).every((v) => typeof v === 'string'))
        throw new Error(`${type}: field "${field}" must be a list of strings`);
  if (event.type === 'permission.rule_changed.v1' && !d['removed']) {
    const subject = d['subject'] as { kind?: unknown; id?: unknown } | undefined;
    const resource = d['resource'] as { kind?: unknown; id?: unknown } | undefined;
    if (
      !subject ||
      !['employee', 'department', 'role'].includes(String(subject.kind)) ||
      typeof subject.id !== 'string'
    )
      throw new Error(`${type}: field "subject" must name an employee, a department or a role`);
    if (
      !resource ||
      !['permission_group', 'tag', 'tag_group'].includes(String(resource.kind)) ||
      typeof resource.id !== 'string'
    )
      throw new Error(`${type}: field "resource" must name a permission group, a tag or a tag group`);
    if (d['effect'] !== 'grant' && d['effect'] !== 'deny')
      throw new Error(`${type}: field "effect" must be grant or deny`);
  }
  const key = permissionEventKeyV1(event);
  return {
    tenantId: event.data.tenantId,
    objectKey: key.slice(event.data.tenantId.length + 1),
    revision: event.data.revision,
    position: event.data.position,
    event,
  };
}
