import type { DirectoryIntegrationEventV1, TagIntegrationEventV1 } from '@tagguard/contracts';
import type { TagFacts, TagKind, TagVisibility } from '@tagguard/permission-engine';

// Pure mappings from the other services' public events to the rows of permission-service's copies.

export type DirectoryChange =
  | {
      kind: 'department';
      tenantId: string;
      id: string;
      revision: string;
      removed: boolean;
      parentId: string | null;
    }
  | {
      kind: 'employee';
      tenantId: string;
      id: string;
      revision: string;
      departmentIds: string[];
      status: 'active' | 'disabled' | 'left';
    };

/** undefined: an event the copy does not need (partners, customers, the status-only echo of an upsert). */
export function directoryChangeOf(event: DirectoryIntegrationEventV1): DirectoryChange | undefined {
  const { tenantId, revision } = event.data;
  switch (event.type) {
    case 'directory.department_upserted.v1':
      return {
        kind: 'department',
        tenantId,
        id: event.data.departmentId,
        revision,
        removed: false,
        parentId: event.data.parentId,
      };
    case 'directory.department_removed.v1':
      return {
        kind: 'department',
        tenantId,
        id: event.data.departmentId,
        revision,
        removed: true,
        parentId: null,
      };
    case 'directory.employee_upserted.v1':
      // The upsert always carries the current status, so employee_status_changed adds nothing.
      return {
        kind: 'employee',
        tenantId,
        id: event.data.employeeId,
        revision,
        departmentIds: [...event.data.departmentIds],
        status: event.data.status,
      };
    default:
      return undefined;
  }
}

/** tag-service's visibility (scope everyone/restricted) as the engine's TagVisibility. */
export function visibilityOf(raw: unknown): TagVisibility {
  const v = (raw ?? {}) as {
    scope?: string;
    departments?: { departmentId: string; includeSubDepartments: boolean }[];
    roles?: string[];
    members?: string[];
  };
  return {
    restricted: v.scope === 'restricted',
    departments: (v.departments ?? []).map((d) => ({
      departmentId: d.departmentId,
      includeSubDepartments: !!d.includeSubDepartments,
    })),
    roles: [...(v.roles ?? [])],
    memberIds: [...(v.members ?? [])],
  };
}

export const EVERYONE: TagVisibility = { restricted: false, departments: [], roles: [], memberIds: [] };

/**
 * One tag event as changes to the copy: `create` a row, or `patch` existing rows (each guarded by its
 * revision). Freezes are not tag facts: see tagFreezeOf.
 */
export type TagChange =
  | { op: 'create'; tenantId: string; revision: string; facts: TagFacts }
  | {
      op: 'patch';
      tenantId: string;
      revision: string;
      tagIds: string[];
      set: Partial<{
        parentId: string | null;
        visibility: TagVisibility;
        sensitive: boolean;
        deleted: boolean;
      }>;
    }
  | { op: 'none' };

export function tagChangeOf(event: TagIntegrationEventV1): TagChange {
  const { tenantId, revision } = event.data;
  switch (event.type) {
    case 'tag.created.v1':
      return {
        op: 'create',
        tenantId,
        revision,
        facts: {
          tagId: event.data.tagId,
          kind: event.data.kind as TagKind,
          isGroup: event.data.nodeType === 'group',
          parentId: event.data.parentId,
          visibility: EVERYONE,
          sensitive: false,
        },
      };
    case 'tag.moved.v1':
      return {
        op: 'patch',
        tenantId,
        revision,
        tagIds: [event.data.tagId],
        set: { parentId: event.data.parentId },
      };
    case 'tag.visibility_changed.v1':
      return {
        op: 'patch',
        tenantId,
        revision,
        tagIds: [event.data.tagId],
        set: { visibility: visibilityOf(event.data.visibility), sensitive: event.data.sensitive },
      };
    case 'tag.deleted.v1':
    case 'tag.purged.v1':
      return { op: 'patch', tenantId, revision, tagIds: [...event.data.tagIds], set: { deleted: true } };
    case 'tag.restored.v1':
      return { op: 'patch', tenantId, revision, tagIds: [...event.data.tagIds], set: { deleted: false } };
    case 'tag.restored_to_point.v1':
      return {
        op: 'patch',
        tenantId,
        revision,
        tagIds: [event.data.tagId],
        set: { parentId: event.data.parentId, deleted: event.data.status === 'binned' },
      };
    default:
      return { op: 'none' };
  }
}

/** tag-service's operator freeze or unfreeze, as a freeze of source tag-service. */
export function tagFreezeOf(
  event: TagIntegrationEventV1,
):
  { tenantId: string; actorId: string; frozen: boolean; reason: string; sourceRevision: string } | undefined {
  if (event.type === 'tag.operator_frozen.v1')
    return {
      tenantId: event.data.tenantId,
      actorId: event.data.actorId,
      frozen: true,
      reason: event.data.reason || `tag-service operation ${event.data.operationId}`,
      sourceRevision: event.data.revision,
    };
  if (event.type === 'tag.operator_unfrozen.v1')
    return {
      tenantId: event.data.tenantId,
      actorId: event.data.actorId,
      frozen: false,
      reason: `unfrozen in tag-service by ${event.data.by}`,
      sourceRevision: event.data.revision,
    };
  return undefined;
}
