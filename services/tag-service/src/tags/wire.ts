import { tagMemberV1, tagV1 } from '@tagguard/contracts';
import type { MemberKind, MemberRef, TagKind, Visibility } from './domain/tag-catalog.events';
import type { Approval } from './domain/tag-catalog.state';
import type { NodeResult } from './commands/tag-commands';
import { TagError } from './domain/tag.errors';
import { iso } from './edge';
import type { TagNodeView } from './projections/catalog-view/catalog-view.entities';

// Domain ↔ wire (generated tagV1 types), in one place.

export function toTag(row: TagNodeView): tagV1.Tag {
  const v = row.visibility as Visibility;
  return {
    tagId: row.nodeId,
    name: row.name,
    kind: tagKindToWire(row.kind),
    revision: String(row.revision),
    deleted: row.status !== 'active',
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    nodeType:
      row.nodeType === 'group' ? tagV1.TagNodeType.TAG_NODE_TYPE_GROUP : tagV1.TagNodeType.TAG_NODE_TYPE_TAG,
    parentId: row.parentId ?? '',
    order: row.sortOrder,
    description: row.description,
    visibility: {
      restricted: v.scope === 'restricted',
      departments: v.departments.map((d) => ({
        departmentId: d.departmentId,
        includeSubDepartments: d.includeSubDepartments,
      })),
      roles: v.roles,
      memberIds: v.members,
    },
    sensitive: row.sensitive,
    protected: row.isProtected,
    status:
      row.status === 'active'
        ? tagV1.TagStatus.TAG_STATUS_ACTIVE
        : row.status === 'binned'
          ? tagV1.TagStatus.TAG_STATUS_BINNED
          : tagV1.TagStatus.TAG_STATUS_PURGED,
    memberCount: row.memberCount,
    deletedBy: row.deletedBy ?? '',
    deletedAt: iso(row.deletedAt),
    purgeDueAt: iso(row.purgeDueAt),
  };
}

export function tagKindToWire(kind: TagKind): tagV1.TagKind {
  return kind === 'member'
    ? tagV1.TagKind.TAG_KIND_MEMBER
    : kind === 'partner'
      ? tagV1.TagKind.TAG_KIND_PARTNER
      : tagV1.TagKind.TAG_KIND_CUSTOMER;
}

export function toApproval(a: Approval): tagV1.Approval {
  const op = a.operation;
  return {
    approvalId: a.approvalId,
    operation:
      op.type === 'delete'
        ? tagV1.GuardedOperationType.GUARDED_OPERATION_TYPE_DELETE
        : op.type === 'add_members'
          ? tagV1.GuardedOperationType.GUARDED_OPERATION_TYPE_ADD_MEMBERS
          : op.type === 'restore'
            ? tagV1.GuardedOperationType.GUARDED_OPERATION_TYPE_RESTORE
            : tagV1.GuardedOperationType.GUARDED_OPERATION_TYPE_REMOVE_MEMBERS,
    tagId: op.type === 'delete' ? op.nodeId : op.tagId,
    members: op.type === 'delete' ? [] : op.members.map((m) => `${m.kind}:${m.id}`),
    requestedBy: a.requestedBy,
    requestedAt: a.requestedAt,
    expiresAt: a.expiresAt,
    status: {
      pending: tagV1.ApprovalStatus.APPROVAL_STATUS_PENDING,
      granted: tagV1.ApprovalStatus.APPROVAL_STATUS_GRANTED,
      rejected: tagV1.ApprovalStatus.APPROVAL_STATUS_REJECTED,
      expired: tagV1.ApprovalStatus.APPROVAL_STATUS_EXPIRED,
    }[a.status],
    decidedBy: a.decidedBy ?? '',
  };
}

export function toWriteResult(result: NodeResult): tagV1.WriteResult {
  return {
    tagId: result.nodeId,
    revision: String(result.revision),
    consistencyToken: result.consistencyToken,
    pendingApproval: result.approval ? toApproval(result.approval) : undefined,
  };
}

export function visibilityField(v: tagV1.Visibility | undefined): Visibility {
  if (!v || !v.restricted) return { scope: 'everyone', departments: [], roles: [], members: [] };
  return {
    scope: 'restricted',
    departments: v.departments.map((d) => ({
      departmentId: d.departmentId,
      includeSubDepartments: d.includeSubDepartments,
    })),
    roles: v.roles,
    members: v.memberIds,
  };
}

const KINDS: Record<string, MemberKind> = {
  [tagMemberV1.MemberKind.MEMBER_KIND_EMPLOYEE]: 'employee',
  [tagMemberV1.MemberKind.MEMBER_KIND_DEPARTMENT]: 'department',
  [tagMemberV1.MemberKind.MEMBER_KIND_CUSTOMER]: 'customer',
  [tagMemberV1.MemberKind.MEMBER_KIND_PARTNER]: 'partner',
};

export function memberKindToWire(kind: string): tagMemberV1.MemberKind {
  return kind === 'employee'
    ? tagMemberV1.MemberKind.MEMBER_KIND_EMPLOYEE
    : kind === 'department'
      ? tagMemberV1.MemberKind.MEMBER_KIND_DEPARTMENT
      : kind === 'partner'
        ? tagMemberV1.MemberKind.MEMBER_KIND_PARTNER
        : kind === 'customer'
          ? tagMemberV1.MemberKind.MEMBER_KIND_CUSTOMER
          : tagMemberV1.MemberKind.MEMBER_KIND_UNSPECIFIED;
}

/** Members of a request; an unspecified kind is an invalid item (answered per item), not a failed call. */
export function membersField(members: tagMemberV1.Member[]): {
  refs: MemberRef[];
  attributes: Record<string, Record<string, string>>;
} {
  const attributes: Record<string, Record<string, string>> = {};
  const refs = members.map((m) => {
    if (Object.keys(m.attributes).length > 0) attributes[m.id] = m.attributes;
    return { kind: KINDS[m.kind] ?? ('unspecified' as MemberKind), id: m.id };
  });
  if (JSON.stringify(attributes).length > 256_000)
    throw new TagError('TAG.INVALID_ARGUMENT', 'attributes are too large', 'members');
  return { refs, attributes };
}
