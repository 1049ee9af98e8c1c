import { topicName } from '@tagguard/messaging';

/**
 * What other services may know about tags, published by tag-service on one topic. The Kafka key is the
 * tag (or group) id, so one tag's events stay in order; tenant-wide events (policy, freezes, approvals)
 * are keyed by tenant. Version 1; a breaking change gets a new topic.
 */
export const TAG_EVENTS_TOPIC_V1 = topicName({
  service: 'tag-service',
  visibility: 'public',
  aggregate: 'tag',
  event: 'events',
  version: 1,
});

type Kind = 'member' | 'customer' | 'partner';
type Base = { tenantId: string; revision: string };
/** `partner`: a partner enterprise by corp id (on partner tags). */
type Member = { kind: 'employee' | 'department' | 'customer' | 'partner'; id: string };
type Affected = { tagId: string; name: string; memberCount: number };

export type TagIntegrationEventV1 =
  | {
      type: 'tag.created.v1';
      data: Base & {
        tagId: string;
        name: string;
        kind: Kind;
        nodeType: 'group' | 'tag';
        parentId: string | null;
      };
    }
  | { type: 'tag.renamed.v1'; data: Base & { tagId: string; name: string; previousName: string } }
  | {
      type: 'tag.moved.v1';
      data: Base & { tagId: string; parentId: string | null; previousParentId: string | null };
    }
  | {
      type: 'tag.visibility_changed.v1';
      data: Base & { tagId: string; visibility: unknown; sensitive: boolean };
    }
  | { type: 'tag.protection_changed.v1'; data: Base & { tagId: string; protected: boolean } }
  /** Moved to the recycle bin (tagId is the root; tagIds the whole subtree). */
  | {
      type: 'tag.deleted.v1';
      data: Base & { tagId: string; tagIds: string[]; deletedBy: string; purgeDueAt: string };
    }
  | { type: 'tag.restored.v1'; data: Base & { tagId: string; tagIds: string[]; restoredBy: string } }
  | { type: 'tag.purged.v1'; data: Base & { tagId: string; tagIds: string[] } }
  /** A point-in-time restore reset the tag to its state at `asOf` (status active, or binned again). */
  | {
      type: 'tag.restored_to_point.v1';
      data: Base & {
        tagId: string;
        restoreId: string;
        asOf: string;
        name: string;
        parentId: string | null;
        status: 'active' | 'binned';
      };
    }
  | { type: 'tag.members_added.v1'; data: Base & { tagId: string; members: Member[]; source: string } }
  | { type: 'tag.members_removed.v1'; data: Base & { tagId: string; members: Member[]; source: string } }
  | {
      type: 'tag.sensitive_operation_detected.v1';
      data: Base & {
        operationId: string;
        level: 'warning' | 'critical';
        operation: string;
        actorId: string;
        actorDepartment: string | null;
        affected: Affected[];
        totalMembers: number;
        beforeState: string;
        approvedBy: string | null;
      };
    }
  | { type: 'tag.operator_frozen.v1'; data: Base & { actorId: string; operationId: string; reason: string } }
  | { type: 'tag.operator_unfrozen.v1'; data: Base & { actorId: string; by: string } }
  /** Delivery requests for audit-service: HQ's audit system and the tenant's security officer. */
  | {
      type: 'tag.notification_requested.v1';
      data: Base & {
        notificationId: string;
        channel: 'hq_audit' | 'security_officer';
        operationId: string;
        level: string;
        summary: string;
      };
    }
  | {
      type: 'tag.approval_requested.v1';
      data: Base & {
        approvalId: string;
        operation: string;
        tagId: string;
        requestedBy: string;
        expiresAt: string;
      };
    }
  | {
      type: 'tag.approval_decided.v1';
      data: Base & { approvalId: string; decision: 'granted' | 'rejected' | 'expired'; by: string | null };
    }
  | {
      type: 'tag.abnormal_change_reverted.v1';
      data: Base & { tagId: string; ruleId: string; actorId: string; members: Member[]; reason: string };
    }
  | {
      type: 'tag.follow_up_task_created.v1';
      data: Base & { taskId: string; tagId: string; customerId: string; assigneeId: string; dueAt: string };
    }
  | { type: 'tag.follow_up_task_completed.v1'; data: Base & { taskId: string; completedBy: string } }
  /** Its place among its siblings (ReorderTag). */
  | { type: 'tag.reordered.v1'; data: Base & { tagId: string; order: number } }
  | { type: 'tag.described.v1'; data: Base & { tagId: string; description: string } }
  /** The tenant's sensitive-operation policy as it now is (ConfigurePolicy). */
  | {
      type: 'tag.policy_configured.v1';
      data: Base & {
        warningThreshold: number;
        criticalThreshold: number;
        retentionHours: number;
        approvalTtlHours: number;
      };
    }
  /** What happens to a departed employee's memberships (SetDirectoryPolicy). */
  | {
      type: 'tag.directory_policy_set.v1';
      data: Base & { departedMembers: 'keep' | 'remove'; setBy: string };
    }
  | {
      type: 'tag.automation_defined.v1';
      data: Base & {
        ruleId: string;
        tagId: string;
        assigneeId: string;
        dueInHours: number;
        guideTemplate: string;
      };
    }
  | { type: 'tag.automation_removed.v1'; data: Base & { ruleId: string } }
  | {
      type: 'tag.revert_rule_defined.v1';
      data: Base & {
        ruleId: string;
        tagId: string;
        ruleType: 'removal_requires_role' | 'removal_rate_limit';
        role: string | null;
        maxPerHour: number | null;
      };
    }
  | { type: 'tag.revert_rule_removed.v1'; data: Base & { ruleId: string } }
  /** A point-in-time restore as a whole (its per-tag effects are tag.restored_to_point.v1). */
  | {
      type: 'tag.restore_applied.v1';
      data: Base & {
        restoreId: string;
        rootId: string | null;
        asOf: string;
        level: 'none' | 'warning' | 'critical';
        approvedBy: string | null;
        changes: number;
      };
    }
  /** A read-model rebuild (RebuildReadModels) that ran to its end: verified only, or swapped in. */
  | {
      type: 'tag.read_models_rebuilt.v1';
      data: Base & {
        rebuildId: string;
        verifyOnly: boolean;
        acceptDifferences: boolean;
        outcome: string;
        differences: number;
      };
    };

export const TAG_INTEGRATION_TYPES_V1: readonly TagIntegrationEventV1['type'][] = [
  'tag.created.v1',
  'tag.renamed.v1',
  'tag.moved.v1',
  'tag.visibility_changed.v1',
  'tag.protection_changed.v1',
  'tag.deleted.v1',
  'tag.restored.v1',
  'tag.purged.v1',
  'tag.restored_to_point.v1',
  'tag.members_added.v1',
  'tag.members_removed.v1',
  'tag.sensitive_operation_detected.v1',
  'tag.operator_frozen.v1',
  'tag.operator_unfrozen.v1',
  'tag.notification_requested.v1',
  'tag.approval_requested.v1',
  'tag.approval_decided.v1',
  'tag.abnormal_change_reverted.v1',
  'tag.follow_up_task_created.v1',
  'tag.follow_up_task_completed.v1',
  'tag.reordered.v1',
  'tag.described.v1',
  'tag.policy_configured.v1',
  'tag.directory_policy_set.v1',
  'tag.automation_defined.v1',
  'tag.automation_removed.v1',
  'tag.revert_rule_defined.v1',
  'tag.revert_rule_removed.v1',
  'tag.restore_applied.v1',
  'tag.read_models_rebuilt.v1',
];

const TYPES = new Set<string>(TAG_INTEGRATION_TYPES_V1);

/** Validates an inbound message's type and envelope fields; consumers call it before trusting the payload. */
export function parseTagIntegrationEventV1(type: string, data: unknown): TagIntegrationEventV1 {
  if (!TYPES.has(type)) throw new Error(`unknown tag integration event type "${type}"`);
  const d = data as Record<string, unknown>;
  for (const field of ['tenantId', 'revision']) {
    if (typeof d?.[field] !== 'string') throw new Error(`${type}: field "${field}" must be a string`);
  }
  return { type, data: d } as TagIntegrationEventV1;
}
