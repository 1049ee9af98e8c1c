import type { TagKind } from '../../domain/tag-catalog.events';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One row per group or tag, binned and purged ones included (status says which). */
@Entity({ name: 'tag_nodes' })
@Index(['tenantId', 'parentId', 'sortOrder'])
export class TagNodeView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'node_id', type: 'text' }) nodeId!: string;
  @Column({ name: 'node_type', type: 'text' }) nodeType!: 'group' | 'tag';
  @Column({ type: 'text' }) kind!: TagKind;
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'parent_id', type: 'text', nullable: true }) parentId!: string | null;
  @Column({ name: 'sort_order', type: 'integer' }) sortOrder!: number;
  @Column({ type: 'text' }) description!: string;
  @Column({ type: 'jsonb' }) visibility!: object;
  @Column({ type: 'boolean' }) sensitive!: boolean;
  @Column({ name: 'is_protected', type: 'boolean' }) isProtected!: boolean;
  @Column({ type: 'text' }) status!: 'active' | 'binned' | 'purged';
  @Column({ type: 'integer' }) revision!: number;
  @Column({ name: 'member_count', type: 'integer', default: 0 }) memberCount!: number;
  @Column({ name: 'bin_root_id', type: 'text', nullable: true }) binRootId!: string | null;
  @Column({ name: 'deleted_by', type: 'text', nullable: true }) deletedBy!: string | null;
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true }) deletedAt!: Date | null;
  @Column({ name: 'purge_due_at', type: 'timestamptz', nullable: true }) purgeDueAt!: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'tag_members' })
// An employee's memberships across tags (the departed-members policy, member flags) without a tenant scan.
@Index(['tenantId', 'memberKind', 'memberId'])
export class TagMemberView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'tag_id', type: 'text' }) tagId!: string;
  @PrimaryColumn({ name: 'member_kind', type: 'text' }) memberKind!: string;
  @PrimaryColumn({ name: 'member_id', type: 'text' }) memberId!: string;
  @Column({ name: 'added_by', type: 'text' }) addedBy!: string;
  @Column({ name: 'added_at', type: 'timestamptz' }) addedAt!: Date;
}

@Entity({ name: 'tag_approvals' })
@Index(['status', 'expiresAt'])
export class ApprovalView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'approval_id', type: 'text' }) approvalId!: string;
  @Column({ type: 'jsonb' }) operation!: unknown;
  @Column({ name: 'requested_by', type: 'text' }) requestedBy!: string;
  @Column({ name: 'requested_at', type: 'timestamptz' }) requestedAt!: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ type: 'text' }) status!: string;
  @Column({ name: 'decided_by', type: 'text', nullable: true }) decidedBy!: string | null;
}

@Entity({ name: 'sensitive_operations' })
export class SensitiveOperationView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'operation_id', type: 'text' }) operationId!: string;
  @Column({ type: 'text' }) level!: string;
  @Column({ type: 'text' }) operation!: string;
  @Column({ name: 'actor_id', type: 'text' }) actorId!: string;
  @Column({ name: 'actor_department', type: 'text', nullable: true }) actorDepartment!: string | null;
  @Column({ name: 'total_members', type: 'integer' }) totalMembers!: number;
  @Column({ type: 'jsonb' }) affected!: unknown;
  @Column({ name: 'before_state', type: 'text' }) beforeState!: string;
  @Column({ name: 'approved_by', type: 'text', nullable: true }) approvedBy!: string | null;
  @Column({ name: 'detected_at', type: 'timestamptz' }) detectedAt!: Date;
}

@Entity({ name: 'reverted_changes' })
export class RevertedChangeView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'event_id', type: 'text' }) eventId!: string;
  @Column({ name: 'rule_id', type: 'text' }) ruleId!: string;
  @Column({ name: 'tag_id', type: 'text' }) tagId!: string;
  @Column({ name: 'actor_id', type: 'text' }) actorId!: string;
  @Column({ type: 'jsonb' }) members!: unknown;
  @Column({ type: 'text' }) reason!: string;
  @Column({ name: 'reverted_event_id', type: 'text' }) revertedEventId!: string;
  @Column({ name: 'reverted_at', type: 'timestamptz' }) revertedAt!: Date;
}

@Entity({ name: 'follow_up_tasks' })
export class FollowUpTaskView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'task_id', type: 'text' }) taskId!: string;
  @Column({ name: 'rule_id', type: 'text' }) ruleId!: string;
  @Column({ name: 'tag_id', type: 'text' }) tagId!: string;
  @Column({ name: 'customer_id', type: 'text' }) customerId!: string;
  @Column({ name: 'assignee_id', type: 'text' }) assigneeId!: string;
  @Column({ name: 'due_at', type: 'timestamptz' }) dueAt!: Date;
  @Column({ type: 'text' }) guide!: string;
  @Column({ type: 'text' }) status!: 'open' | 'completed';
  @Column({ name: 'completed_by', type: 'text', nullable: true }) completedBy!: string | null;
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true }) completedAt!: Date | null;
  @Column({ type: 'text', default: '' }) note!: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** The last revision applied per stream: an event at or below it (a replay, a redelivery) is skipped. */
@Entity({ name: 'projected_streams' })
export class ProjectedStream {
  @PrimaryColumn({ name: 'stream_id', type: 'text' }) streamId!: string;
  @Column({ type: 'bigint' }) revision!: string;
}

export const CATALOG_VIEW_ENTITIES = [
  TagNodeView,
  TagMemberView,
  ApprovalView,
  SensitiveOperationView,
  RevertedChangeView,
  FollowUpTaskView,
  ProjectedStream,
];
