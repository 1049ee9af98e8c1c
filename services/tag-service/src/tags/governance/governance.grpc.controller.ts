import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { tagGovernanceV1 } from '@tagguard/contracts';
import { DataSource } from 'typeorm';
import { TagCommands } from '../commands/tag-commands';
import type { AffectedTag, MemberRef, RevertRule } from '../domain/tag-catalog.events';
import { TagError } from '../domain/tag.errors';
import type {
  DepartedMembers,
  DirectoryPolicyState,
} from '../directory-copy/domain/directory-policy.decider';
import { DirectoryPolicies } from '../directory-copy/directory-policy';
import {
  caller,
  consistent,
  decodeCursor,
  page,
  pageSizeField,
  readerFor,
  revisionField,
  textField,
  uuidField,
  TAG_EDGE,
  type EdgeDeps,
} from '../edge';
import {
  RevertedChangeView,
  SensitiveOperationView,
} from '../projections/catalog-view/catalog-view.entities';
import { toApproval, toWriteResult } from '../wire';

const none = () => '';

/** tagguard.tag.v1.TagGovernanceService: policy, freezes, four-eyes approvals, revert rules. */
@Controller()
@tagGovernanceV1.TagGovernanceServiceControllerMethods()
export class GovernanceGrpcController implements tagGovernanceV1.TagGovernanceServiceController {
  constructor(
    @Inject(TagCommands) private readonly commands: TagCommands,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(TAG_EDGE) private readonly edge: EdgeDeps,
    @Inject(DirectoryPolicies) private readonly directoryPolicies: DirectoryPolicies,
  ) {}

  async getDirectoryPolicy(
    _request: tagGovernanceV1.GetDirectoryPolicyRequest,
    metadata?: Metadata,
  ): Promise<tagGovernanceV1.GetDirectoryPolicyResponse> {
    const context = await caller(this.edge, metadata, 'catalog.read');
    return { policy: toDirectoryPolicy(await this.directoryPolicies.get(context.principal.tenantId)) };
  }

  async setDirectoryPolicy(
    request: tagGovernanceV1.SetDirectoryPolicyRequest,
    metadata?: Metadata,
  ): Promise<tagGovernanceV1.SetDirectoryPolicyResponse> {
    const context = await caller(this.edge, metadata, 'governance.write', request.idempotencyKey);
    const departed = DEPARTED[request.departedMembers];
    if (!departed)
      throw new TagError(
        'TAG.INVALID_ARGUMENT',
        'must be DEPARTED_MEMBERS_KEEP or DEPARTED_MEMBERS_REMOVE',
        'departed_members',
      );
    const expectedRevision = revisionField(request.expectedRevision);
    const result = await this.directoryPolicies.set(context, request, departed, expectedRevision);
    return { policy: toDirectoryPolicy(result.policy), consistencyToken: result.consistencyToken };
  }

  async getPolicy(
    _request: tagGovernanceV1.GetPolicyRequest,
    metadata?: Metadata,
  ): Promise<tagGovernanceV1.GetPolicyResponse> {
    const context = await caller(this.edge, metadata, 'catalog.read');
    return { policy: (await this.commands.catalog(context.principal.tenantId)).state.policy };
  }

  async configurePolicy(
    request: tagGovernanceV1.ConfigurePolicyRequest,
    metadata?: Metadata,
  ): Promise<tagGovernanceV1.ConfigurePolicyResponse> {
    const context = await caller(this.edge, metadata, 'governance.write', request.idempotencyKey);
    if (!request.policy) throw new TagError('TAG.INVALID_ARGUMENT', 'is required', 'policy');
    const policy = request.policy;
    const result = await this.commands.onCatalog(
      context,
      request,
      (base) => ({ type: 'ConfigurePolicy', data: { ...base, policy } }),
      none,
    );
    return { policy, consistencyToken: result.consistencyToken };
  }

  async listSensitiveOperations(
    request: tagGovernanceV1.ListSensitiveOperationsRequest,
    metadata?: Metadata,
  ): Promise<tagGovernanceV1.ListSensitiveOperationsResponse> {
    const context = await caller(this.edge, metadata, 'catalog.read');
    const pageSize = pageSizeField(request.pageSize, 100, 500);
    const after = decodeCursor(request.pageToken, ['instant', 'text']);
    await consistent(this.edge, request.consistencyToken, context);
    const rows = await this.db
      .getRepository(SensitiveOperationView)
      .createQueryBuilder('s')
      .where('s.tenant_id = :tenant', { tenant: context.principal.tenantId })
      .andWhere('(s.detected_at, s.operation_id) > (:at, :id)', {
        at: after?.[0] ?? '-infinity',
        id: after?.[1] ?? '',
      })
      .orderBy('s.detected_at', 'ASC')
      .addOrderBy('s.operation_id', 'ASC')
      .limit(pageSize + 1)
      .getMany();
    const { items: all, next } = page(rows, pageSize, (r) => [r.detectedAt.toISOString(), r.operationId]);
    // An operation names its tags (and their state before): listed only if the caller may see them all.
    // Filtered after the page is cut, so a page may come back short; the cursor still moves on.
    const reader = await readerFor(this.edge, context);
    const items = all.filter((s) => (s.affected as AffectedTag[]).every((t) => reader.see(t.tagId)));
    return {
      operations: items.map((s) => ({
        operationId: s.operationId,
        level: s.level,
        operation: s.operation,
        actorId: s.actorId,
        actorDepartment: s.actorDepartment ?? '',
        affected: s.affected as AffectedTag[],
        totalMembers: s.totalMembers,
        beforeState: s.beforeState,
        approvedBy: s.approvedBy ?? '',
        detectedAt: s.detectedAt.toISOString(),
      })),
      nextPageToken: next,
    };
  }

  async listFrozenOperators(
    _request: tagGovernanceV1.ListFrozenOperatorsRequest,
    metadata?: Metadata,
  ): Promise<tagGovernanceV1.ListFrozenOperatorsResponse> {
    const context = await caller(this.edge, metadata, 'catalog.read');
    const { state } = await this.commands.catalog(context.principal.tenantId);
    return { operators: [...state.frozen].map(([actorId, operationId]) => ({ actorId, operationId })) };
  }

  async unfreezeOperator(
    request: tagGovernanceV1.UnfreezeOperatorRequest,
    metadata?: Metadata,
  ): Promise<tagGovernanceV1.UnfreezeOperatorResponse> {
    const context = await caller(this.edge, metadata, 'governance.write', request.idempotencyKey);
    const frozenActorId = textField(request.actorId, 'actor_id');
    const result = await this.commands.onCatalog(
      context,
      request,
      (base) => ({ type: 'UnfreezeOperator', data: { ...base, frozenActorId } }),
      none,
    );
    return { consistencyToken: result.consistencyToken };
  }

  async listApprovals(
    request: tagGovernanceV1.ListApprovalsRequest,
    metadata?: Metadata,
  ): Promise<tagGovernanceV1.ListApprovalsResponse> {
    const context = await caller(this.edge, metadata, 'catalog.read');
    const { state } = await this.commands.catalog(context.principal.tenantId);
    const reader = await readerFor(this.edge, context);
    // A tenant-wide restore (no tag) is decided on the tenant resource: listed to callers allowed the
    // tenant-wide restore or the approval decision (a tenant admin), hidden from the others (D54).
    const allowed = (action: 'catalog.write' | 'approval.decide') =>
      this.edge.authorizer.authorize(context.principal, action).then(
        () => true,
        () => false,
      );
    const tenantWide = (await allowed('approval.decide')) || (await allowed('catalog.write'));
    const approvals = [...state.approvals.values()].filter((a) => {
      if (!request.includeDecided && a.status !== 'pending') return false;
      const tagId = a.operation.type === 'delete' ? a.operation.nodeId : a.operation.tagId;
      return tagId ? reader.see(tagId) !== undefined : tenantWide;
    });
    return { approvals: approvals.map(toApproval) };
  }

  async approveOperation(
    request: tagGovernanceV1.ApproveOperationRequest,
    metadata?: Metadata,
  ): Promise<tagGovernanceV1.ApproveOperationResponse> {
    const context = await caller(this.edge, metadata, 'approval.decide', request.idempotencyKey);
    const approvalId = textField(request.approvalId, 'approval_id');
    return { result: toWriteResult(await this.commands.approve(context, approvalId)) };
  }

  async rejectOperation(
    request: tagGovernanceV1.RejectOperationRequest,
    metadata?: Metadata,
  ): Promise<tagGovernanceV1.RejectOperationResponse> {
    const context = await caller(this.edge, metadata, 'approval.decide', request.idempotencyKey);
    const approvalId = textField(request.approvalId, 'approval_id');
    const result = await this.commands.onCatalog(
      context,
      request,
      (base) => ({ type: 'RejectOperation', data: { ...base, approvalId, reason: request.reason.trim() } }),
      none,
    );
    return { result: toWriteResult(result) };
  }

  async defineRevertRule(
    request: tagGovernanceV1.DefineRevertRuleRequest,
    metadata?: Metadata,
  ): Promise<tagGovernanceV1.DefineRevertRuleResponse> {
    const context = await caller(this.edge, metadata, 'governance.write', request.idempotencyKey);
    const rule = revertRuleField(request.rule);
    const result = await this.commands.onCatalog(
      context,
      request,
      (base) => ({ type: 'DefineRevertRule', data: { ...base, rule } }),
      none,
    );
    return { consistencyToken: result.consistencyToken };
  }

  async removeRevertRule(
    request: tagGovernanceV1.RemoveRevertRuleRequest,
    metadata?: Metadata,
  ): Promise<tagGovernanceV1.RemoveRevertRuleResponse> {
    const context = await caller(this.edge, metadata, 'governance.write', request.idempotencyKey);
    const ruleId = textField(request.ruleId, 'rule_id');
    const result = await this.commands.onCatalog(
      context,
      request,
      (base) => ({ type: 'RemoveRevertRule', data: { ...base, ruleId } }),
      none,
    );
    return { consistencyToken: result.consistencyToken };
  }

  async listRevertRules(
    _request: tagGovernanceV1.ListRevertRulesRequest,
    metadata?: Metadata,
  ): Promise<tagGovernanceV1.ListRevertRulesResponse> {
    const context = await caller(this.edge, metadata, 'catalog.read');
    const { state } = await this.commands.catalog(context.principal.tenantId);
    const reader = await readerFor(this.edge, context);
    return {
      rules: [...state.revertRules.values()]
        .filter((r) => reader.see(r.tagId))
        .map((r) => ({
          ruleId: r.ruleId,
          tagId: r.tagId,
          type:
            r.type === 'removal_requires_role'
              ? tagGovernanceV1.RevertRuleType.REVERT_RULE_TYPE_REMOVAL_REQUIRES_ROLE
              : tagGovernanceV1.RevertRuleType.REVERT_RULE_TYPE_REMOVAL_RATE_LIMIT,
          role: r.type === 'removal_requires_role' ? r.role : '',
          maxPerHour: r.type === 'removal_rate_limit' ? r.maxPerHour : 0,
        })),
    };
  }

  async listRevertedChanges(
    request: tagGovernanceV1.ListRevertedChangesRequest,
    metadata?: Metadata,
  ): Promise<tagGovernanceV1.ListRevertedChangesResponse> {
    const context = await caller(this.edge, metadata, 'catalog.read');
    const pageSize = pageSizeField(request.pageSize, 100, 500);
    const after = decodeCursor(request.pageToken, ['instant', 'text']);
    await consistent(this.edge, request.consistencyToken, context);
    const rows = await this.db
      .getRepository(RevertedChangeView)
      .createQueryBuilder('r')
      .where('r.tenant_id = :tenant', { tenant: context.principal.tenantId })
      .andWhere('(r.reverted_at, r.event_id) > (:at, :id)', {
        at: after?.[0] ?? '-infinity',
        id: after?.[1] ?? '',
      })
      .orderBy('r.reverted_at', 'ASC')
      .addOrderBy('r.event_id', 'ASC')
      .limit(pageSize + 1)
      .getMany();
    const { items: all, next } = page(rows, pageSize, (r) => [r.revertedAt.toISOString(), r.eventId]);
    const reader = await readerFor(this.edge, context);
    const items = all.filter((r) => reader.see(r.tagId));
    return {
      changes: items.map((r) => ({
        ruleId: r.ruleId,
        tagId: r.tagId,
        actorId: r.actorId,
        members: (r.members as MemberRef[]).map((m) => `${m.kind}:${m.id}`),
        reason: r.reason,
        revertedAt: r.revertedAt.toISOString(),
      })),
      nextPageToken: next,
    };
  }
}

const DEPARTED: Record<string, DepartedMembers> = {
  [tagGovernanceV1.DepartedMembers.DEPARTED_MEMBERS_KEEP]: 'keep',
  [tagGovernanceV1.DepartedMembers.DEPARTED_MEMBERS_REMOVE]: 'remove',
};

function toDirectoryPolicy(state: DirectoryPolicyState): tagGovernanceV1.DirectoryPolicy {
  return {
    departedMembers:
      state.departedMembers === 'remove'
        ? tagGovernanceV1.DepartedMembers.DEPARTED_MEMBERS_REMOVE
        : tagGovernanceV1.DepartedMembers.DEPARTED_MEMBERS_KEEP,
    revision: String(state.revision),
  };
}

function revertRuleField(rule: tagGovernanceV1.RevertRule | undefined): RevertRule {
  if (!rule) throw new TagError('TAG.INVALID_ARGUMENT', 'is required', 'rule');
  const ruleId = rule.ruleId || randomUUID();
  const tagId = uuidField(rule.tagId, 'rule.tag_id');
  if (rule.type === tagGovernanceV1.RevertRuleType.REVERT_RULE_TYPE_REMOVAL_REQUIRES_ROLE)
    return { ruleId, tagId, type: 'removal_requires_role', role: textField(rule.role, 'rule.role') };
  if (rule.type === tagGovernanceV1.RevertRuleType.REVERT_RULE_TYPE_REMOVAL_RATE_LIMIT)
    return { ruleId, tagId, type: 'removal_rate_limit', maxPerHour: rule.maxPerHour };
  throw new TagError(
    'TAG.INVALID_ARGUMENT',
    'must be REMOVAL_REQUIRES_ROLE or REMOVAL_RATE_LIMIT',
    'rule.type',
  );
}
