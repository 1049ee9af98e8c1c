import { TAG_EVENTS_TOPIC_V1, type TagIntegrationEventV1 } from '@tagguard/contracts';
import type { RecordedEvent } from '@tagguard/event-store';
import type { IntegrationMessage } from '@tagguard/messaging';
import type { FollowUpTaskEvent } from '../domain/automation';
import type { TagCatalogEvent } from '../domain/tag-catalog.events';
import type { TagMembersEvent } from '../domain/tag-members';
import type { DirectoryPolicyEvent } from '../directory-copy/domain/directory-policy.decider';
import type { ReadModelsRebuiltEvent } from '../rebuild/read-models-rebuilt';
import {
  CATALOG_CATEGORY,
  categoryOfStream,
  DIRECTORY_POLICY_CATEGORY,
  entityIdOf,
  MEMBERS_CATEGORY,
  REBUILD_CATEGORY,
  TASK_CATEGORY,
} from '../streams';

type Out = { key: string; event: TagIntegrationEventV1 } | undefined;

/**
 * Domain event → integration event, explicitly: what leaves tag-service is chosen here, field by field.
 * Every accepted change is published (the audit trail holds them all, issue 14); denied attempts go to
 * their own topic (D103).
 */
export function toIntegrationMessage(
  recorded: RecordedEvent,
): IntegrationMessage<TagIntegrationEventV1['data']> | undefined {
  const base = { tenantId: recorded.metadata.tenantId, revision: String(recorded.revision) };
  const category = categoryOfStream(recorded.streamId);
  const event = { type: recorded.type, data: recorded.data };
  const out =
    category === CATALOG_CATEGORY
      ? fromCatalog(base, event as TagCatalogEvent)
      : category === MEMBERS_CATEGORY
        ? fromMembers(base, entityIdOf(recorded), event as TagMembersEvent)
        : category === TASK_CATEGORY
          ? fromTask(base, event as FollowUpTaskEvent)
          : category === DIRECTORY_POLICY_CATEGORY
            ? fromDirectoryPolicy(base, event as DirectoryPolicyEvent)
            : category === REBUILD_CATEGORY
              ? fromRebuild(base, event as ReadModelsRebuiltEvent)
              : undefined;
  if (!out) return undefined;
  return {
    topic: TAG_EVENTS_TOPIC_V1,
    key: out.key,
    eventId: recorded.id,
    type: out.event.type,
    schemaVersion: 1,
    data: out.event.data,
    metadata: withoutAnswer(recorded.metadata),
  };
}

// The idempotency answer is tag-service's own business.
function withoutAnswer(metadata: RecordedEvent['metadata']): RecordedEvent['metadata'] {
  const { idempotency: _idempotency, ...rest } = metadata;
  return rest;
}

function fromCatalog(base: { tenantId: string; revision: string }, event: TagCatalogEvent): Out {
  const tenant = base.tenantId;
  switch (event.type) {
    case 'NodeCreated': {
      const d = event.data;
      return {
        key: d.nodeId,
        event: {
          type: 'tag.created.v1',
          data: {
            ...base,
            tagId: d.nodeId,
            name: d.name,
            kind: d.kind,
            nodeType: d.nodeType,
            parentId: d.parentId,
          },
        },
      };
    }
    case 'NodeRenamed':
      return {
        key: event.data.nodeId,
        event: {
          type: 'tag.renamed.v1',
          data: {
            ...base,
            tagId: event.data.nodeId,
            name: event.data.name,
            previousName: event.data.previousName,
          },
        },
      };
    case 'NodeMoved':
      return {
        key: event.data.nodeId,
        event: {
          type: 'tag.moved.v1',
          data: {
            ...base,
            tagId: event.data.nodeId,
            parentId: event.data.parentId,
            previousParentId: event.data.previousParentId,
          },
        },
      };
    case 'VisibilityConfigured':
      return {
        key: event.data.nodeId,
        event: {
          type: 'tag.visibility_changed.v1',
          data: {
            ...base,
            tagId: event.data.nodeId,
            visibility: event.data.visibility,
            sensitive: event.data.sensitive,
          },
        },
      };
    case 'ProtectionSet':
      return {
        key: event.data.nodeId,
        event: {
          type: 'tag.protection_changed.v1',
          data: { ...base, tagId: event.data.nodeId, protected: event.data.protected },
        },
      };
    case 'NodesBinned':
      return {
        key: event.data.rootId,
        event: {
          type: 'tag.deleted.v1',
          data: {
            ...base,
            tagId: event.data.rootId,
            tagIds: event.data.nodeIds,
            deletedBy: event.data.deletedBy,
            purgeDueAt: event.data.purgeDueAt,
          },
        },
      };
    case 'NodesRestored':
      return {
        key: event.data.rootId,
        event: {
          type: 'tag.restored.v1',
          data: {
            ...base,
            tagId: event.data.rootId,
            tagIds: event.data.nodeIds,
            restoredBy: event.data.restoredBy,
          },
        },
      };
    case 'NodesPurged':
      return {
        key: event.data.rootId,
        event: {
          type: 'tag.purged.v1',
          data: { ...base, tagId: event.data.rootId, tagIds: event.data.nodeIds },
        },
      };
    case 'NodeStateRestored': {
      const d = event.data;
      return {
        key: d.node.nodeId,
        event: {
          type: 'tag.restored_to_point.v1',
          data: {
            ...base,
            tagId: d.node.nodeId,
            restoreId: d.restoreId,
            asOf: d.asOf,
            name: d.node.name,
            parentId: d.node.parentId,
            status: d.status,
          },
        },
      };
    }
    case 'SensitiveOperationDetected':
      return {
        key: tenant,
        event: { type: 'tag.sensitive_operation_detected.v1', data: { ...base, ...event.data } },
      };
    case 'OperatorFrozen':
      return { key: tenant, event: { type: 'tag.operator_frozen.v1', data: { ...base, ...event.data } } };
    case 'OperatorUnfrozen':
      return { key: tenant, event: { type: 'tag.operator_unfrozen.v1', data: { ...base, ...event.data } } };
    case 'NotificationRequested':
      return {
        key: tenant,
        event: { type: 'tag.notification_requested.v1', data: { ...base, ...event.data } },
      };
    case 'ApprovalRequested': {
      const op = event.data.operation;
      return {
        key: tenant,
        event: {
          type: 'tag.approval_requested.v1',
          data: {
            ...base,
            approvalId: event.data.approvalId,
            operation: op.type,
            tagId: op.type === 'delete' ? op.nodeId : op.tagId,
            requestedBy: event.data.requestedBy,
            expiresAt: event.data.expiresAt,
          },
        },
      };
    }
    case 'ApprovalGranted':
    case 'ApprovalRejected':
    case 'ApprovalExpired':
      return {
        key: tenant,
        event: {
          type: 'tag.approval_decided.v1',
          data: {
            ...base,
            approvalId: event.data.approvalId,
            decision:
              event.type === 'ApprovalGranted'
                ? 'granted'
                : event.type === 'ApprovalRejected'
                  ? 'rejected'
                  : 'expired',
            by: 'by' in event.data ? event.data.by : null,
          },
        },
      };
    case 'AbnormalChangeReverted':
      return {
        key: event.data.tagId,
        event: {
          type: 'tag.abnormal_change_reverted.v1',
          data: {
            ...base,
            tagId: event.data.tagId,
            ruleId: event.data.ruleId,
            actorId: event.data.actorId,
            members: event.data.members,
            reason: event.data.reason,
          },
        },
      };
    case 'NodeReordered':
      return {
        key: event.data.nodeId,
        event: {
          type: 'tag.reordered.v1',
          data: { ...base, tagId: event.data.nodeId, order: event.data.order },
        },
      };
    case 'NodeDescribed':
      return {
        key: event.data.nodeId,
        event: {
          type: 'tag.described.v1',
          data: { ...base, tagId: event.data.nodeId, description: event.data.description },
        },
      };
    case 'PolicyConfigured': {
      const d = event.data;
      return {
        key: tenant,
        event: {
          type: 'tag.policy_configured.v1',
          data: {
            ...base,
            warningThreshold: d.warningThreshold,
            criticalThreshold: d.criticalThreshold,
            retentionHours: d.retentionHours,
            approvalTtlHours: d.approvalTtlHours,
          },
        },
      };
    }
    case 'AutomationRuleDefined': {
      const d = event.data;
      return {
        key: tenant,
        event: {
          type: 'tag.automation_defined.v1',
          data: {
            ...base,
            ruleId: d.ruleId,
            tagId: d.tagId,
            assigneeId: d.assigneeId,
            dueInHours: d.dueInHours,
            guideTemplate: d.guideTemplate,
          },
        },
      };
    }
    case 'AutomationRuleRemoved':
      return {
        key: tenant,
        event: { type: 'tag.automation_removed.v1', data: { ...base, ruleId: event.data.ruleId } },
      };
    case 'RevertRuleDefined': {
      const d = event.data;
      return {
        key: tenant,
        event: {
          type: 'tag.revert_rule_defined.v1',
          data: {
            ...base,
            ruleId: d.ruleId,
            tagId: d.tagId,
            ruleType: d.type,
            role: d.type === 'removal_requires_role' ? d.role : null,
            maxPerHour: d.type === 'removal_rate_limit' ? d.maxPerHour : null,
          },
        },
      };
    }
    case 'RevertRuleRemoved':
      return {
        key: tenant,
        event: { type: 'tag.revert_rule_removed.v1', data: { ...base, ruleId: event.data.ruleId } },
      };
    case 'RestoreApplied': {
      const d = event.data;
      return {
        key: d.rootId ?? tenant,
        event: {
          type: 'tag.restore_applied.v1',
          data: {
            ...base,
            restoreId: d.restoreId,
            rootId: d.rootId,
            asOf: d.asOf,
            level: d.level,
            approvedBy: d.approvedBy,
            changes: d.changes,
          },
        },
      };
    }
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

function fromMembers(
  base: { tenantId: string; revision: string },
  tagId: string,
  event: TagMembersEvent,
): Out {
  const type = event.type === 'MembersAdded' ? 'tag.members_added.v1' : 'tag.members_removed.v1';
  return {
    key: tagId,
    event: { type, data: { ...base, tagId, members: event.data.members, source: event.data.source } },
  };
}

function fromTask(base: { tenantId: string; revision: string }, event: FollowUpTaskEvent): Out {
  if (event.type === 'FollowUpTaskCreated') {
    const d = event.data;
    return {
      key: d.tagId,
      event: {
        type: 'tag.follow_up_task_created.v1',
        data: {
          ...base,
          taskId: d.taskId,
          tagId: d.tagId,
          customerId: d.customerId,
          assigneeId: d.assigneeId,
          dueAt: d.dueAt,
        },
      },
    };
  }
  return {
    key: event.data.taskId,
    event: {
      type: 'tag.follow_up_task_completed.v1',
      data: { ...base, taskId: event.data.taskId, completedBy: event.data.completedBy },
    },
  };
}

function fromDirectoryPolicy(base: { tenantId: string; revision: string }, event: DirectoryPolicyEvent): Out {
  return {
    key: base.tenantId,
    event: {
      type: 'tag.directory_policy_set.v1',
      data: { ...base, departedMembers: event.data.departedMembers, setBy: event.data.setBy },
    },
  };
}

function fromRebuild(base: { tenantId: string; revision: string }, event: ReadModelsRebuiltEvent): Out {
  return {
    key: base.tenantId,
    event: { type: 'tag.read_models_rebuilt.v1', data: { ...base, ...event.data } },
  };
}
