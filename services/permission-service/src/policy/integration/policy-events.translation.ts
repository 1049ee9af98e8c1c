import {
  PERMISSION_EVENTS_TOPIC_V1,
  permissionPartitionKeyV1,
  type PermissionIntegrationEventV1,
} from '@tagguard/contracts';
import type { RecordedEvent } from '@tagguard/event-store';
import type { IntegrationMessage } from '@tagguard/messaging';
import type { AssignmentEvent } from '../assignments/domain/assignment.decider';
import { positionString } from '../domain/position';
import type { FreezeEvent } from '../freezes/domain/freeze.decider';
import type { GroupEvent } from '../groups/domain/permission-group.decider';
import type { RoleEvent } from '../roles/domain/role.decider';
import type { RuleEvent } from '../tree/domain/permission-tree.decider';
import type { WordEvent } from '../words/domain/sensitive-word.decider';

export type PolicyEvent = RoleEvent | AssignmentEvent | GroupEvent | RuleEvent | WordEvent | FreezeEvent;
type Base = { tenantId: string; revision: string; position: string };

/**
 * Domain event → the fat integration event, explicitly, field by field. The domain events already hold
 * the object's whole state, so this is a copy plus the envelope (tenant, revision, store position); the
 * in-memory policy folds exactly these (policy-holder.ts), so tag-service's copy and ours cannot differ.
 */
export function toIntegrationEvent(event: PolicyEvent, base: Base): PermissionIntegrationEventV1 | undefined {
  switch (event.type) {
    case 'RoleDefined':
    case 'RoleRemoved': {
      const r = event.data;
      return {
        type: 'permission.role_changed.v1',
        data: {
          ...base,
          roleId: r.roleId,
          name: r.name,
          scopes: [...r.scopes],
          removed: r.removed,
          // Absent on events stored before it was carried: consumers fold those by position (D80).
          ...(r.definedSince === undefined ? {} : { definedSince: r.definedSince }),
        },
      };
    }
    case 'RoleAssigned':
    case 'RoleUnassigned': {
      const a = event.data;
      return {
        type: 'permission.role_assignment_changed.v1',
        data: {
          ...base,
          assignmentId: a.assignmentId,
          roleId: a.roleId,
          subject: { ...a.subject },
          expiresAt: a.expiresAt,
          removed: a.removed,
          ...(a.roleDefinedSince === undefined ? {} : { roleDefinedSince: a.roleDefinedSince }),
        },
      };
    }
    case 'PermissionGroupDefined':
    case 'PermissionGroupRemoved': {
      const g = event.data;
      return {
        type: 'permission.group_changed.v1',
        data: {
          ...base,
          groupId: g.groupId,
          name: g.name,
          tagIds: [...g.tagIds],
          tagGroupIds: [...g.tagGroupIds],
          removed: g.removed,
        },
      };
    }
    case 'RuleChanged': {
      const r = event.data;
      return {
        type: 'permission.rule_changed.v1',
        data: {
          ...base,
          ruleId: r.ruleId,
          effect: r.effect,
          subject: { ...r.subject },
          resource: { ...r.resource },
          actions: [...r.actions],
          starred: r.starred,
          description: r.description,
          removed: r.removed,
        },
      };
    }
    case 'RulesReordered':
      return {
        type: 'permission.rules_reordered.v1',
        data: { ...base, ruleIds: [...event.data.ruleIds], by: event.data.by },
      };
    case 'SensitiveWordUpserted':
    case 'SensitiveWordRemoved': {
      const w = event.data;
      return {
        type: 'permission.sensitive_word_changed.v1',
        data: {
          ...base,
          wordId: w.wordId,
          word: w.word,
          category: w.category,
          fields: [...w.fields],
          removed: w.removed,
        },
      };
    }
    case 'FreezeChanged': {
      const f = event.data;
      return {
        type: 'permission.freeze_changed.v1',
        data: {
          ...base,
          actorId: f.actorId,
          frozen: f.frozen,
          source: f.source,
          reason: f.reason,
          until: f.until,
        },
      };
    }
    default:
      return undefined;
  }
}

/** The fat event of one recorded policy event (undefined: not a policy event). */
export function integrationEventOf(recorded: RecordedEvent): PermissionIntegrationEventV1 | undefined {
  return toIntegrationEvent({ type: recorded.type, data: recorded.data } as PolicyEvent, {
    tenantId: recorded.metadata.tenantId,
    revision: String(recorded.revision),
    position: positionString(recorded.position),
  });
}

/** What the relay publishes for one recorded policy event. */
export function toIntegrationMessage(recorded: RecordedEvent): IntegrationMessage | undefined {
  const event = integrationEventOf(recorded);
  // A freeze hold that leaves the combined freeze unchanged is internal (D62): nothing to publish.
  if (recorded.type === 'FreezeHoldRecorded') return undefined;
  // Every other event of a policy stream has a public counterpart: an unknown one is parked by the relay.
  if (!event) throw new Error(`no integration event for ${recorded.type}`);
  return {
    topic: PERMISSION_EVENTS_TOPIC_V1,
    key: permissionPartitionKeyV1(event),
    eventId: recorded.id,
    type: event.type,
    schemaVersion: 1,
    data: event.data,
    metadata: recorded.metadata,
  };
}
