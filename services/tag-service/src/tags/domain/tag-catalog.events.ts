// The tenant's tag catalogue: one aggregate per tenant (stream `tagCatalog-<tenantId>`), so that names
// unique per parent, the 5-level limit, moves without cycles, the recycle bin, freezes and approvals are
// decided against one consistent state and written in one append. Memberships live in their own streams.

export type NodeType = 'group' | 'tag';
export type TagKind = 'member' | 'customer' | 'partner';
/** `partner`: a partner enterprise (WeCom corp id), on partner tags only (docs/decisions.md D36). */
export type MemberKind = 'employee' | 'department' | 'customer' | 'partner';

export interface Visibility {
  /** everyone: all of the tenant; restricted: only the listed departments, roles and members. */
  scope: 'everyone' | 'restricted';
  departments: { departmentId: string; includeSubDepartments: boolean }[];
  roles: string[];
  members: string[];
}

export const VISIBLE_TO_EVERYONE: Visibility = { scope: 'everyone', departments: [], roles: [], members: [] };

export type SensitivityLevel = 'none' | 'warning' | 'critical';

export interface SensitivePolicy {
  /** Members affected at or above which an operation is a warning. */
  warningThreshold: number;
  /** … and critical (recoverable, operator frozen, HQ and security officer notified). */
  criticalThreshold: number;
  /** Hours a deleted tag stays restorable in the recycle bin. */
  retentionHours: number;
  /** Hours a four-eyes approval request stays open. */
  approvalTtlHours: number;
}

export const DEFAULT_POLICY: SensitivePolicy = {
  warningThreshold: 50,
  criticalThreshold: 200,
  retentionHours: 72,
  approvalTtlHours: 24,
};

export interface MemberRef {
  kind: MemberKind;
  id: string;
}

/** What a four-eyes approval, once granted, executes. */
export type GuardedOperation =
  | { type: 'delete'; nodeId: string }
  | {
      type: 'add_members';
      tagId: string;
      members: MemberRef[];
      /** The customers' attributes given with the request (automations render guides from them). */
      attributes?: Record<string, Record<string, string>>;
    }
  | { type: 'remove_members'; tagId: string; members: MemberRef[] }
  | RestoreOperation;

/** A critical point-in-time restore waiting for a second person (tagId: its root, '' for the tenant). */
export type RestoreOperation = {
  type: 'restore';
  tagId: string;
  members: MemberRef[];
  asOf: RestoreMoment;
  restoreId: string;
  mayUnpurge: boolean;
  /** Members the restore would take away when it was requested: what the approver agrees to. */
  totalMembers?: number;
  /**
   * The requester's token roles when they asked: the execution re-checks the requester's sight with them
   * and the policy of that moment (D84). Absent in approvals requested before: directory roles only.
   */
  requesterRoles?: string[];
};

/** The moment a restore goes back to: an RFC 3339 time or a consistency token. */
export type RestoreMoment = { timestamp: string } | { position: string };

export interface AffectedTag {
  tagId: string;
  name: string;
  memberCount: number;
}

export type AutomationRule = {
  ruleId: string;
  tagId: string;
  assigneeId: string;
  dueInHours: number;
  /** Placeholders: {{customer.id}}, {{customer.<attribute>}}, {{tag.name}}, {{assignee}}, {{due_at}}. */
  guideTemplate: string;
};

export type RevertRule =
  | { ruleId: string; tagId: string; type: 'removal_requires_role'; role: string }
  | { ruleId: string; tagId: string; type: 'removal_rate_limit'; maxPerHour: number };

export type TagCatalogEvent =
  | {
      type: 'NodeCreated';
      data: {
        nodeId: string;
        nodeType: NodeType;
        kind: TagKind;
        name: string;
        parentId: string | null;
        order: number;
        description: string;
      };
    }
  | { type: 'NodeRenamed'; data: { nodeId: string; name: string; previousName: string } }
  | {
      type: 'NodeMoved';
      data: { nodeId: string; parentId: string | null; previousParentId: string | null; order: number };
    }
  | { type: 'NodeReordered'; data: { nodeId: string; order: number } }
  | { type: 'NodeDescribed'; data: { nodeId: string; description: string } }
  | { type: 'VisibilityConfigured'; data: { nodeId: string; visibility: Visibility; sensitive: boolean } }
  | { type: 'ProtectionSet'; data: { nodeId: string; protected: boolean } }
  | {
      type: 'NodesBinned';
      data: {
        rootId: string;
        nodeIds: string[];
        deletedBy: string;
        deletedAt: string;
        purgeDueAt: string;
        affected: AffectedTag[];
      };
    }
  | { type: 'NodesRestored'; data: { rootId: string; nodeIds: string[]; restoredBy: string } }
  | { type: 'NodesPurged'; data: { rootId: string; nodeIds: string[] } }
  | {
      type: 'SensitiveOperationDetected';
      data: {
        operationId: string;
        level: 'warning' | 'critical';
        operation: 'delete' | 'bulk_remove' | 'restore';
        actorId: string;
        actorDepartment: string | null;
        affected: AffectedTag[];
        totalMembers: number;
        /** Human-readable before-state, e.g. "group 大客户 (3 tags, 240 members)". */
        beforeState: string;
        approvedBy: string | null;
      };
    }
  | { type: 'OperatorFrozen'; data: { actorId: string; operationId: string; reason: string } }
  | { type: 'OperatorUnfrozen'; data: { actorId: string; by: string } }
  | {
      type: 'NotificationRequested';
      data: {
        notificationId: string;
        channel: 'hq_audit' | 'security_officer';
        operationId: string;
        level: 'warning' | 'critical';
        summary: string;
      };
    }
  | { type: 'PolicyConfigured'; data: SensitivePolicy }
  | {
      type: 'ApprovalRequested';
      data: {
        approvalId: string;
        operation: GuardedOperation;
        requestedBy: string;
        requestedByDepartment: string | null;
        requestedAt: string;
        expiresAt: string;
      };
    }
  | { type: 'ApprovalGranted'; data: { approvalId: string; by: string } }
  | { type: 'ApprovalRejected'; data: { approvalId: string; by: string; reason: string } }
  | { type: 'ApprovalExpired'; data: { approvalId: string } }
  | { type: 'AutomationRuleDefined'; data: AutomationRule }
  | { type: 'AutomationRuleRemoved'; data: { ruleId: string } }
  | { type: 'RevertRuleDefined'; data: RevertRule }
  | { type: 'RevertRuleRemoved'; data: { ruleId: string } }
  /**
   * A point-in-time restore put the node back to its state at `asOf` (created again if it had been
   * purged, binned if it did not exist then). Appended now: history is never rewritten.
   */
  | {
      type: 'NodeStateRestored';
      data: {
        restoreId: string;
        asOf: string;
        node: RestoredNode;
        status: 'active' | 'binned';
        bin: { rootId: string; deletedBy: string; deletedAt: string; purgeDueAt: string } | null;
      };
    }
  /** A point-in-time restore ran (its node and member changes follow); carries its answer for a retry. */
  | {
      type: 'RestoreApplied';
      data: {
        restoreId: string;
        rootId: string | null;
        asOf: string;
        level: SensitivityLevel;
        approvedBy: string | null;
        changes: number;
      };
    }
  | {
      type: 'AbnormalChangeReverted';
      data: {
        ruleId: string;
        tagId: string;
        actorId: string;
        members: MemberRef[];
        reason: string;
        revertedEventId: string;
      };
    };

/** The configuration of a node a restore writes back. */
export interface RestoredNode {
  nodeId: string;
  nodeType: NodeType;
  kind: TagKind;
  name: string;
  parentId: string | null;
  order: number;
  description: string;
  visibility: Visibility;
  sensitive: boolean;
  protected: boolean;
}

export const TAG_CATALOG_SCHEMA_VERSION = 1;
