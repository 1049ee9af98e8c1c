import { classify, describeAffected } from './sensitive-operations';
import {
  VISIBLE_TO_EVERYONE,
  type AffectedTag,
  type AutomationRule,
  type GuardedOperation,
  type MemberRef,
  type NodeType,
  type RevertRule,
  type SensitivePolicy,
  type TagCatalogEvent,
  type TagKind,
  type Visibility,
} from './tag-catalog.events';
import {
  depthOf,
  heightOf,
  siblingNamed,
  subtreeOf,
  type TagCatalogState,
  type TagNode,
} from './tag-catalog.state';
import { TagError } from './tag.errors';
import { MAX_TAG_NAME_LENGTH } from './tag-name';

export const MAX_DEPTH = 5;
export const MAX_DESCRIPTION_LENGTH = 500;

/** Who asks and when: part of every command, so that decide stays a pure function. */
export interface Actor {
  actorId: string;
  roles: string[];
  departmentId: string | null;
}

interface Base {
  actor: Actor;
  /** ISO-8601. */
  now: string;
}

type Guarded = { expectedRevision?: number };

export type TagCatalogCommand =
  | {
      type: 'CreateNode';
      data: Base & {
        nodeId: string;
        nodeType: NodeType;
        kind: TagKind;
        name: string;
        parentId: string | null;
        description: string;
        order?: number;
      };
    }
  | { type: 'RenameNode'; data: Base & Guarded & { nodeId: string; name: string } }
  | { type: 'MoveNode'; data: Base & Guarded & { nodeId: string; parentId: string | null; order?: number } }
  | { type: 'ReorderNode'; data: Base & Guarded & { nodeId: string; order: number } }
  | { type: 'DescribeNode'; data: Base & Guarded & { nodeId: string; description: string } }
  | {
      type: 'ConfigureVisibility';
      data: Base & Guarded & { nodeId: string; visibility: Visibility; sensitive: boolean };
    }
  | { type: 'SetProtection'; data: Base & Guarded & { nodeId: string; protected: boolean } }
  | {
      type: 'DeleteNode';
      data: Base &
        Guarded & {
          nodeId: string;
          memberCounts: Record<string, number>;
          operationId: string;
          approvalId: string;
        };
    }
  | { type: 'RestoreNode'; data: Base & { nodeId: string } }
  | { type: 'PurgeDueNodes'; data: Base }
  | { type: 'ConfigurePolicy'; data: Base & { policy: SensitivePolicy } }
  | { type: 'UnfreezeOperator'; data: Base & { frozenActorId: string } }
  | {
      type: 'GuardMembershipChange';
      data: Base & {
        change: 'add_members' | 'remove_members';
        tagId: string;
        members: MemberRef[];
        operationId: string;
        approvalId: string;
      };
    }
  | {
      type: 'ApproveOperation';
      data: Base & { approvalId: string; memberCounts: Record<string, number>; operationId: string };
    }
  | { type: 'RejectOperation'; data: Base & { approvalId: string; reason: string } }
  | { type: 'ExpireApprovals'; data: Base }
  | { type: 'DefineAutomation'; data: Base & { rule: AutomationRule } }
  | { type: 'RemoveAutomation'; data: Base & { ruleId: string } }
  | { type: 'DefineRevertRule'; data: Base & { rule: RevertRule } }
  | { type: 'RemoveRevertRule'; data: Base & { ruleId: string } }
  | {
      type: 'ApplyRestore';
      data: Base & { events: TagCatalogEvent[]; unpurged: string[]; mayUnpurge: boolean };
    }
  | {
      type: 'RecordRevert';
      data: Base & {
        ruleId: string;
        tagId: string;
        offenderId: string;
        members: MemberRef[];
        reason: string;
        revertedEventId: string;
      };
    };

export function decideCatalog(command: TagCatalogCommand, state: TagCatalogState): TagCatalogEvent[] {
  const { actor } = command.data;
  // A retry of the very operation that froze the actor is still that operation, not a new write.
  const ownOperation =
    'operationId' in command.data && state.frozen.get(actor.actorId) === command.data.operationId;
  if (state.frozen.has(actor.actorId) && command.type !== 'UnfreezeOperator' && !ownOperation)
    throw new TagError(
      'TAG.OPERATOR_FROZEN',
      `actor ${actor.actorId} is frozen after a critical operation; an admin must unfreeze`,
    );
  switch (command.type) {
    case 'CreateNode': {
      const { nodeId, nodeType, kind, parentId, description } = command.data;
      if (state.nodes.has(nodeId))
        throw new TagError('TAG.ALREADY_EXISTS', `node ${nodeId} already exists`, 'tag_id');
      const name = validName(command.data.name);
      if (parentId !== null) {
        const parent = active(state, parentId, 'parent_id');
        if (parent.nodeType === 'tag' && nodeType === 'group')
          throw new TagError('TAG.INVALID_ARGUMENT', 'a tag group cannot sit under a tag', 'parent_id');
        if (parent.kind !== kind)
          throw new TagError('TAG.INVALID_ARGUMENT', `must be ${parent.kind} like its parent`, 'kind');
      }
      if (depthOf(state, parentId) + 1 > MAX_DEPTH)
        throw new TagError('TAG.INVALID_ARGUMENT', `tags nest at most ${MAX_DEPTH} levels deep`, 'parent_id');
      uniqueName(state, parentId, name);
      return [
        {
          type: 'NodeCreated',
          data: {
            nodeId,
            nodeType,
            kind,
            name,
            parentId,
            order: command.data.order ?? nextOrder(state, parentId),
            description: validDescription(description),
          },
        },
      ];
    }
    case 'RenameNode': {
      const node = writable(state, command.data.nodeId, command.data.expectedRevision);
      const name = validName(command.data.name);
      if (name === node.name) return [];
      uniqueName(state, node.parentId, name, node.nodeId);
      return [{ type: 'NodeRenamed', data: { nodeId: node.nodeId, name, previousName: node.name } }];
    }
    case 'MoveNode': {
      const node = writable(state, command.data.nodeId, command.data.expectedRevision);
      const { parentId } = command.data;
      if (parentId === node.parentId) return [];
      if (parentId !== null) {
        const parent = active(state, parentId, 'parent_id');
        if (subtreeOf(state, node.nodeId).some((n) => n.nodeId === parentId))
          throw new TagError(
            'TAG.INVALID_ARGUMENT',
            'cannot move a node under itself or its descendants',
            'parent_id',
          );
        if (parent.nodeType === 'tag' && node.nodeType === 'group')
          throw new TagError('TAG.INVALID_ARGUMENT', 'a tag group cannot sit under a tag', 'parent_id');
        if (parent.kind !== node.kind)
          throw new TagError('TAG.INVALID_ARGUMENT', `parent must be ${node.kind}`, 'parent_id');
      }
      if (depthOf(state, parentId) + heightOf(state, node.nodeId) > MAX_DEPTH)
        throw new TagError(
          'TAG.INVALID_ARGUMENT',
          `the moved subtree would nest deeper than ${MAX_DEPTH} levels`,
          'parent_id',
        );
      uniqueName(state, parentId, node.name, node.nodeId);
      return [
        {
          type: 'NodeMoved',
          data: {
            nodeId: node.nodeId,
            parentId,
            previousParentId: node.parentId,
            order: command.data.order ?? nextOrder(state, parentId),
          },
        },
      ];
    }
    case 'ReorderNode': {
      const node = writable(state, command.data.nodeId, command.data.expectedRevision);
      if (!Number.isInteger(command.data.order) || command.data.order < 0)
        throw new TagError('TAG.INVALID_ARGUMENT', 'must be a non-negative integer', 'order');
      return command.data.order === node.order
        ? []
        : [{ type: 'NodeReordered', data: { nodeId: node.nodeId, order: command.data.order } }];
    }
    case 'DescribeNode': {
      const node = writable(state, command.data.nodeId, command.data.expectedRevision);
      const description = validDescription(command.data.description);
      return description === node.description
        ? []
        : [{ type: 'NodeDescribed', data: { nodeId: node.nodeId, description } }];
    }
    case 'ConfigureVisibility': {
      const node = writable(state, command.data.nodeId, command.data.expectedRevision);
      const visibility = validVisibility(command.data.visibility);
      return [
        {
          type: 'VisibilityConfigured',
          data: { nodeId: node.nodeId, visibility, sensitive: command.data.sensitive },
        },
      ];
    }
    case 'SetProtection': {
      const node = writable(state, command.data.nodeId, command.data.expectedRevision);
      return node.protected === command.data.protected
        ? []
        : [{ type: 'ProtectionSet', data: { nodeId: node.nodeId, protected: command.data.protected } }];
    }
    case 'DeleteNode': {
      const node = writable(state, command.data.nodeId, command.data.expectedRevision);
      const subtree = subtreeOf(state, node.nodeId).filter((n) => n.status === 'active');
      if (subtree.some((n) => n.protected))
        return [
          requestApproval(
            state,
            command.data,
            { type: 'delete', nodeId: node.nodeId },
            command.data.approvalId,
          ),
        ];
      return binSubtree(state, node, subtree, command.data, null);
    }
    case 'RestoreNode': {
      const node = state.nodes.get(command.data.nodeId);
      if (!node || node.status === 'purged')
        throw new TagError(
          'TAG.NOT_FOUND',
          `tag ${command.data.nodeId} not found in the recycle bin`,
          'tag_id',
        );
      if (node.status === 'active' || !node.bin)
        throw new TagError('TAG.NOT_DELETED', `tag ${node.nodeId} is not in the recycle bin`, 'tag_id');
      if (node.bin.rootId !== node.nodeId)
        throw new TagError(
          'TAG.FAILED_PRECONDITION',
          `tag ${node.nodeId} was deleted with ${node.bin.rootId}; restore that one`,
          'tag_id',
        );
      if (command.data.now >= node.bin.purgeDueAt)
        throw new TagError(
          'TAG.RETENTION_EXPIRED',
          `the retention window of tag ${node.nodeId} ended at ${node.bin.purgeDueAt}`,
          'tag_id',
        );
      if (node.parentId !== null && state.nodes.get(node.parentId)?.status !== 'active')
        throw new TagError(
          'TAG.FAILED_PRECONDITION',
          `its parent ${node.parentId} is deleted; restore the parent first`,
          'tag_id',
        );
      uniqueName(state, node.parentId, node.name, node.nodeId);
      const nodeIds = subtreeOf(state, node.nodeId)
        .filter((n) => n.status === 'binned' && n.bin?.rootId === node.nodeId)
        .map((n) => n.nodeId);
      return [{ type: 'NodesRestored', data: { rootId: node.nodeId, nodeIds, restoredBy: actor.actorId } }];
    }
    case 'PurgeDueNodes': {
      const due = new Map<string, string[]>();
      for (const n of state.nodes.values())
        if (n.status === 'binned' && n.bin && n.bin.purgeDueAt <= command.data.now)
          due.set(n.bin.rootId, [...(due.get(n.bin.rootId) ?? []), n.nodeId]);
      return [...due].map(([rootId, nodeIds]) => ({
        type: 'NodesPurged' as const,
        data: { rootId, nodeIds },
      }));
    }
    case 'ConfigurePolicy': {
      const p = command.data.policy;
      const positive = (v: number, field: string): void => {
        if (!Number.isInteger(v) || v < 1)
          throw new TagError('TAG.INVALID_ARGUMENT', 'must be a positive integer', field);
      };
      positive(p.warningThreshold, 'warning_threshold');
      positive(p.criticalThreshold, 'critical_threshold');
      positive(p.retentionHours, 'retention_hours');
      positive(p.approvalTtlHours, 'approval_ttl_hours');
      if (p.criticalThreshold < p.warningThreshold)
        throw new TagError(
          'TAG.INVALID_ARGUMENT',
          'must not be below warning_threshold',
          'critical_threshold',
        );
      return [{ type: 'PolicyConfigured', data: p }];
    }
    case 'UnfreezeOperator': {
      const { frozenActorId } = command.data;
      if (!state.frozen.has(frozenActorId))
        throw new TagError('TAG.NOT_FOUND', `actor ${frozenActorId} is not frozen`, 'actor_id');
      if (frozenActorId === actor.actorId)
        throw new TagError('TAG.PERMISSION_DENIED', 'a frozen actor cannot unfreeze themself', 'actor_id');
      return [{ type: 'OperatorUnfrozen', data: { actorId: frozenActorId, by: actor.actorId } }];
    }
    case 'GuardMembershipChange': {
      const { tagId, change, members } = command.data;
      const tag = active(state, tagId, 'tag_id');
      if (tag.nodeType !== 'tag')
        throw new TagError('TAG.INVALID_ARGUMENT', 'members go on tags, not on tag groups', 'tag_id');
      if (tag.protected)
        return [
          requestApproval(state, command.data, { type: change, tagId, members }, command.data.approvalId),
        ];
      if (change !== 'remove_members') return [];
      const affected = [{ tagId, name: tag.name, memberCount: members.length }];
      return reportSensitive(
        state,
        command.data,
        'bulk_remove',
        affected,
        `tag ${tag.name} had ${members.length} of these members removed`,
        null,
      );
    }
    case 'ApproveOperation': {
      const approval = openApproval(state, command.data.approvalId, command.data.now);
      if (approval.requestedBy === actor.actorId)
        throw new TagError(
          'TAG.PERMISSION_DENIED',
          'the approver must be a different person from the requester',
          'approval_id',
        );
      const granted: TagCatalogEvent = {
        type: 'ApprovalGranted',
        data: { approvalId: approval.approvalId, by: actor.actorId },
      };
      const op = approval.operation;
      // The requester's intent, executed now: sensitivity is reported against them, approved by the approver.
      const requester = {
        ...command.data,
        actor: { actorId: approval.requestedBy, roles: [], departmentId: approval.requestedByDepartment },
      };
      // Membership and restore approvals execute in their own write after the grant.
      if (op.type === 'add_members' || op.type === 'restore') return [granted];
      if (op.type === 'remove_members') {
        const tag = active(state, op.tagId, 'approval_id');
        const affected = [{ tagId: tag.nodeId, name: tag.name, memberCount: op.members.length }];
        const before = `tag ${tag.name} had ${op.members.length} of these members removed`;
        return [
          granted,
          ...reportSensitive(state, requester, 'bulk_remove', affected, before, actor.actorId),
        ];
      }
      const node = active(state, op.nodeId, 'approval_id');
      const subtree = subtreeOf(state, node.nodeId).filter((n) => n.status === 'active');
      return [granted, ...binSubtree(state, node, subtree, requester, actor.actorId)];
    }
    case 'RejectOperation': {
      const approval = openApproval(state, command.data.approvalId, command.data.now);
      return [
        {
          type: 'ApprovalRejected',
          data: { approvalId: approval.approvalId, by: actor.actorId, reason: command.data.reason },
        },
      ];
    }
    case 'ExpireApprovals':
      return [...state.approvals.values()]
        .filter((a) => a.status === 'pending' && a.expiresAt <= command.data.now)
        .map((a) => ({ type: 'ApprovalExpired' as const, data: { approvalId: a.approvalId } }));
    case 'DefineAutomation': {
      const { rule } = command.data;
      const tag = active(state, rule.tagId, 'tag_id');
      if (tag.kind !== 'customer' || tag.nodeType !== 'tag')
        throw new TagError('TAG.INVALID_ARGUMENT', 'automations watch customer tags', 'tag_id');
      if (!rule.assigneeId) throw new TagError('TAG.INVALID_ARGUMENT', 'must not be empty', 'assignee_id');
      if (!Number.isInteger(rule.dueInHours) || rule.dueInHours < 1 || rule.dueInHours > 24 * 90)
        throw new TagError('TAG.INVALID_ARGUMENT', 'must be between 1 and 2160', 'due_in_hours');
      if (!rule.guideTemplate.trim() || rule.guideTemplate.length > 4000)
        throw new TagError('TAG.INVALID_ARGUMENT', 'must be 1 to 4000 characters', 'guide_template');
      return [{ type: 'AutomationRuleDefined', data: rule }];
    }
    case 'RemoveAutomation':
      if (!state.automations.has(command.data.ruleId))
        throw new TagError('TAG.NOT_FOUND', `no automation ${command.data.ruleId}`, 'rule_id');
      return [{ type: 'AutomationRuleRemoved', data: { ruleId: command.data.ruleId } }];
    case 'DefineRevertRule': {
      const { rule } = command.data;
      active(state, rule.tagId, 'tag_id');
      if (rule.type === 'removal_requires_role' && !rule.role)
        throw new TagError('TAG.INVALID_ARGUMENT', 'must not be empty', 'role');
      if (rule.type === 'removal_rate_limit' && (!Number.isInteger(rule.maxPerHour) || rule.maxPerHour < 1))
        throw new TagError('TAG.INVALID_ARGUMENT', 'must be a positive integer', 'max_per_hour');
      return [{ type: 'RevertRuleDefined', data: rule }];
    }
    case 'RemoveRevertRule':
      if (!state.revertRules.has(command.data.ruleId))
        throw new TagError('TAG.NOT_FOUND', `no revert rule ${command.data.ruleId}`, 'rule_id');
      return [{ type: 'RevertRuleRemoved', data: { ruleId: command.data.ruleId } }];
    case 'ApplyRestore': {
      // Planned by the time machine (domain/time-machine.ts) against this state; only the purge rule is left.
      if (command.data.unpurged.length > 0 && !command.data.mayUnpurge)
        throw new TagError(
          'TAG.PERMISSION_DENIED',
          `bringing back purged tags (${command.data.unpurged.join(', ')}) needs the tag_recovery role`,
          'root_id',
        );
      return command.data.events;
    }
    case 'RecordRevert': {
      const { ruleId, tagId, offenderId, members, reason, revertedEventId } = command.data;
      return [
        {
          type: 'AbnormalChangeReverted',
          data: { ruleId, tagId, actorId: offenderId, members, reason, revertedEventId },
        },
      ];
    }
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}

function binSubtree(
  state: TagCatalogState,
  root: TagNode,
  subtree: TagNode[],
  data: Base & { memberCounts: Record<string, number>; operationId: string },
  approvedBy: string | null,
): TagCatalogEvent[] {
  const affected: AffectedTag[] = subtree
    .filter((n) => n.nodeType === 'tag')
    .map((n) => ({ tagId: n.nodeId, name: n.name, memberCount: data.memberCounts[n.nodeId] ?? 0 }));
  const purgeDueAt = new Date(Date.parse(data.now) + state.policy.retentionHours * 3_600_000).toISOString();
  const binned: TagCatalogEvent = {
    type: 'NodesBinned',
    data: {
      rootId: root.nodeId,
      nodeIds: subtree.map((n) => n.nodeId),
      deletedBy: data.actor.actorId,
      deletedAt: data.now,
      purgeDueAt,
      affected,
    },
  };
  const before = `${root.nodeType} ${root.name} with ${describeAffected(affected)}`;
  return [binned, ...reportSensitive(state, data, 'delete', affected, before, approvedBy)];
}

/** Graduated: a warning is recorded; a critical one also freezes the actor and notifies HQ audit and security. */
function reportSensitive(
  state: TagCatalogState,
  data: Base & { operationId: string },
  operation: 'delete' | 'bulk_remove',
  affected: AffectedTag[],
  beforeState: string,
  approvedBy: string | null,
): TagCatalogEvent[] {
  const totalMembers = affected.reduce((n, t) => n + t.memberCount, 0);
  const level = classify(totalMembers, state.policy);
  if (level === 'none') return [];
  const { actor, operationId } = data;
  const events: TagCatalogEvent[] = [
    {
      type: 'SensitiveOperationDetected',
      data: {
        operationId,
        level,
        operation,
        actorId: actor.actorId,
        actorDepartment: actor.departmentId,
        affected,
        totalMembers,
        beforeState,
        approvedBy,
      },
    },
  ];
  if (level !== 'critical') return events;
  // A second person approved it: the operation was intended, so nobody is frozen; it is still reported.
  if (!approvedBy)
    events.push({
      type: 'OperatorFrozen',
      data: {
        actorId: actor.actorId,
        operationId,
        reason: `critical ${operation} of ${totalMembers} members`,
      },
    });
  const summary = `${actor.actorId}${actor.departmentId ? ` (${actor.departmentId})` : ''} ${operation === 'delete' ? 'deleted' : 'removed members from'} ${beforeState}`;
  for (const channel of ['hq_audit', 'security_officer'] as const)
    events.push({
      type: 'NotificationRequested',
      data: { notificationId: `${operationId}:${channel}`, channel, operationId, level, summary },
    });
  return events;
}

function requestApproval(
  state: TagCatalogState,
  data: Base,
  operation: GuardedOperation,
  approvalId: string,
): TagCatalogEvent {
  const expiresAt = new Date(Date.parse(data.now) + state.policy.approvalTtlHours * 3_600_000).toISOString();
  return {
    type: 'ApprovalRequested',
    data: {
      approvalId,
      operation,
      requestedBy: data.actor.actorId,
      requestedByDepartment: data.actor.departmentId,
      requestedAt: data.now,
      expiresAt,
    },
  };
}

function openApproval(state: TagCatalogState, approvalId: string, now: string) {
  const approval = state.approvals.get(approvalId);
  if (!approval) throw new TagError('TAG.NOT_FOUND', `approval ${approvalId} not found`, 'approval_id');
  if (approval.status !== 'pending')
    throw new TagError(
      'TAG.FAILED_PRECONDITION',
      `approval ${approvalId} is already ${approval.status}`,
      'approval_id',
    );
  if (approval.expiresAt <= now)
    throw new TagError(
      'TAG.APPROVAL_EXPIRED',
      `approval ${approvalId} expired at ${approval.expiresAt}`,
      'approval_id',
    );
  return approval;
}

function active(state: TagCatalogState, nodeId: string, field: string): TagNode {
  const node = state.nodes.get(nodeId);
  if (!node || node.status === 'purged')
    throw new TagError('TAG.NOT_FOUND', `tag ${nodeId} not found`, field);
  if (node.status === 'binned')
    throw new TagError('TAG.ALREADY_DELETED', `tag ${nodeId} is in the recycle bin`, field);
  return node;
}

function writable(state: TagCatalogState, nodeId: string, expectedRevision: number | undefined): TagNode {
  const node = active(state, nodeId, 'tag_id');
  if (expectedRevision !== undefined && expectedRevision !== node.revision)
    throw new TagError(
      'TAG.WRONG_EXPECTED_REVISION',
      `tag ${nodeId} is at revision ${node.revision}, not ${expectedRevision}`,
      'expected_revision',
    );
  return node;
}

function uniqueName(state: TagCatalogState, parentId: string | null, name: string, exceptId?: string): void {
  const clash = siblingNamed(state, parentId, name, exceptId);
  if (clash)
    throw new TagError('TAG.ALREADY_EXISTS', `"${clash.name}" already exists here (${clash.nodeId})`, 'name');
}

function nextOrder(state: TagCatalogState, parentId: string | null): number {
  let max = -1;
  for (const n of state.nodes.values())
    if (n.parentId === parentId && n.status === 'active') max = Math.max(max, n.order);
  return max + 1;
}

function validName(raw: string): string {
  const name = raw.normalize('NFC').trim();
  if (!name) throw new TagError('TAG.INVALID_ARGUMENT', 'must not be empty', 'name');
  if ([...name].length > MAX_TAG_NAME_LENGTH)
    throw new TagError('TAG.INVALID_ARGUMENT', `must be at most ${MAX_TAG_NAME_LENGTH} characters`, 'name');
  return name;
}

function validDescription(raw: string): string {
  const description = raw.trim();
  if ([...description].length > MAX_DESCRIPTION_LENGTH)
    throw new TagError(
      'TAG.INVALID_ARGUMENT',
      `must be at most ${MAX_DESCRIPTION_LENGTH} characters`,
      'description',
    );
  return description;
}

function validVisibility(v: Visibility): Visibility {
  if (v.scope === 'everyone') return VISIBLE_TO_EVERYONE;
  if (v.departments.length + v.roles.length + v.members.length === 0)
    throw new TagError(
      'TAG.INVALID_ARGUMENT',
      'a restricted tag must name at least one department, role or member',
      'visibility',
    );
  if (v.departments.some((d) => !d.departmentId))
    throw new TagError('TAG.INVALID_ARGUMENT', 'department ids must not be empty', 'visibility.departments');
  return v;
}
