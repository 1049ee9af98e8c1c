import type { DirectoryIntegrationEventV1, TagIntegrationEventV1 } from '@tagguard/contracts';
import type { TagMemberKind } from '@tagguard/mute-engine';

// Pure mappings from the other services' public events to the rows of mute-service's copies.

export type DirectoryChange = {
  tenantId: string;
  kind: 'department' | 'employee' | 'partner';
  id: string;
  revision: string;
  removed: boolean;
  parentId: string | null;
  departmentIds: string[] | null;
  name: string;
};

/** undefined: an event the copy does not need (staff, customers, the status-only echo of an upsert). */
export function directoryChangeOf(event: DirectoryIntegrationEventV1): DirectoryChange | undefined {
  const { tenantId, revision } = event.data;
  const base = { tenantId, revision, removed: false, parentId: null, departmentIds: null, name: '' };
  switch (event.type) {
    case 'directory.department_upserted.v1':
      return {
        ...base,
        kind: 'department',
        id: event.data.departmentId,
        parentId: event.data.parentId,
        name: event.data.name,
      };
    case 'directory.department_removed.v1':
      return { ...base, kind: 'department', id: event.data.departmentId, removed: true };
    case 'directory.employee_upserted.v1':
      // A left employee is never a recipient of a rule by department.
      return {
        ...base,
        kind: 'employee',
        id: event.data.employeeId,
        removed: event.data.status === 'left',
        departmentIds: [...event.data.departmentIds],
        name: event.data.name,
      };
    case 'directory.partner_enterprise_upserted.v1':
      return { ...base, kind: 'partner', id: event.data.corpId, name: event.data.name };
    case 'directory.partner_enterprise_removed.v1':
      return { ...base, kind: 'partner', id: event.data.corpId, removed: true };
    default:
      return undefined;
  }
}

export type TagMember = { kind: TagMemberKind; id: string };

export type TagChange =
  | {
      op: 'upsert';
      tenantId: string;
      revision: string;
      tagId: string;
      parentId: string | null;
      isGroup: boolean;
    }
  | {
      op: 'patch';
      tenantId: string;
      revision: string;
      tagIds: string[];
      set: { parentId?: string | null; deleted?: boolean };
    }
  | {
      op: 'members';
      tenantId: string;
      revision: string;
      tagId: string;
      present: boolean;
      members: TagMember[];
    }
  | { op: 'none' };

export function tagChangeOf(event: TagIntegrationEventV1): TagChange {
  const { tenantId, revision } = event.data;
  switch (event.type) {
    case 'tag.created.v1':
      return {
        op: 'upsert',
        tenantId,
        revision,
        tagId: event.data.tagId,
        parentId: event.data.parentId,
        isGroup: event.data.nodeType === 'group',
      };
    case 'tag.moved.v1':
      return {
        op: 'patch',
        tenantId,
        revision,
        tagIds: [event.data.tagId],
        set: { parentId: event.data.parentId },
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
    case 'tag.members_added.v1':
    case 'tag.members_removed.v1':
      return {
        op: 'members',
        tenantId,
        revision,
        tagId: event.data.tagId,
        present: event.type === 'tag.members_added.v1',
        members: event.data.members.map((m) => ({ kind: m.kind, id: m.id })),
      };
    // tag.abnormal_change_reverted.v1 is a report: tag-service re-adds the members by a members_added.
    default:
      return { op: 'none' };
  }
}
