import type { CommandBase } from '../../domain/catalog-guards';
import { classify } from '../../domain/sensitive-operations';
import type { AffectedTag, SensitivePolicy, TagCatalogEvent } from '../../domain/tag-catalog.events';
import type { TagCatalogState, TagNode } from '../../domain/tag-catalog.state';
import { TagError } from '../../domain/tag.errors';

export type FreezeCommand =
  | { type: 'ConfigurePolicy'; data: CommandBase & { policy: SensitivePolicy } }
  | { type: 'UnfreezeOperator'; data: CommandBase & { frozenActorId: string } };

/** A recycle bin keeps a tag at most a year, an approval request waits at most 30 days. */
export const MAX_RETENTION_HOURS = 24 * 365;
export const MAX_APPROVAL_TTL_HOURS = 24 * 30;

const atMost = (v: number, max: number, field: string): void => {
  if (v > max) throw new TagError('TAG.INVALID_ARGUMENT', `must be at most ${max}`, field);
};

/** The graduated policy's thresholds, and lifting the freeze a critical operation put on its actor. */
export function decideFreezes(command: FreezeCommand, state: TagCatalogState): TagCatalogEvent[] {
  switch (command.type) {
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
      // Hours become instants (a bin entry's purge, an approval's expiry): bounded, so an instant stays a date.
      atMost(p.retentionHours, MAX_RETENTION_HOURS, 'retention_hours');
      atMost(p.approvalTtlHours, MAX_APPROVAL_TTL_HOURS, 'approval_ttl_hours');
      if (p.criticalThreshold < p.warningThreshold)
        throw new TagError(
          'TAG.INVALID_ARGUMENT',
          'must not be below warning_threshold',
          'critical_threshold',
        );
      return [{ type: 'PolicyConfigured', data: p }];
    }
    case 'UnfreezeOperator': {
      const { frozenActorId, actor } = command.data;
      if (!state.frozen.has(frozenActorId))
        throw new TagError('TAG.NOT_FOUND', `actor ${frozenActorId} is not frozen`, 'actor_id');
      if (frozenActorId === actor.actorId)
        throw new TagError('TAG.PERMISSION_DENIED', 'a frozen actor cannot unfreeze themself', 'actor_id');
      return [{ type: 'OperatorUnfrozen', data: { actorId: frozenActorId, by: actor.actorId } }];
    }
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}

/** Graduated: a warning is recorded; a critical one also freezes the actor and notifies HQ audit and security. */
export function reportSensitive(
  state: TagCatalogState,
  data: CommandBase & { operationId: string },
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

/** A removal of `count` members from one tag, graded like any other sensitive operation. */
export function reportRemoval(
  state: TagCatalogState,
  data: CommandBase & { operationId: string },
  tag: TagNode,
  count: number,
  approvedBy: string | null,
): TagCatalogEvent[] {
  const affected = [{ tagId: tag.nodeId, name: tag.name, memberCount: count }];
  const before = `tag ${tag.name} had ${count} of these members removed`;
  return reportSensitive(state, data, 'bulk_remove', affected, before, approvedBy);
}
