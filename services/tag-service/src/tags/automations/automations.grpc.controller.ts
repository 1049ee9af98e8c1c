import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { tagAutomationV1 } from '@tagguard/contracts';
import { DataSource } from 'typeorm';
import { TENANT_ADMIN } from '../authorization/engine.authorizer';
import { TagCommands } from '../commands/tag-commands';
import { decideCompleteTask, evolveTask, initialTaskState } from '../domain/automation';
import { TagError } from '../domain/tag.errors';
import {
  caller,
  consistent,
  decodeCursor,
  iso,
  page,
  pageSizeField,
  textField,
  uuidField,
  TAG_EDGE,
  type EdgeDeps,
  readerFor,
} from '../edge';
import { FollowUpTaskView } from '../projections/catalog-view/catalog-view.entities';
import { taskStream } from '../streams';

const none = () => '';

/** tagguard.tag.v1.TagAutomationService: tagging rules that create follow-up tasks, and the tasks. */
@Controller()
@tagAutomationV1.TagAutomationServiceControllerMethods()
export class AutomationsGrpcController implements tagAutomationV1.TagAutomationServiceController {
  constructor(
    @Inject(TagCommands) private readonly commands: TagCommands,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(TAG_EDGE) private readonly edge: EdgeDeps,
  ) {}

  async defineAutomation(
    request: tagAutomationV1.DefineAutomationRequest,
    metadata?: Metadata,
  ): Promise<tagAutomationV1.DefineAutomationResponse> {
    const context = await caller(this.edge, metadata, 'governance.write', request.idempotencyKey);
    const a = request.automation;
    if (!a) throw new TagError('TAG.INVALID_ARGUMENT', 'is required', 'automation');
    const rule = {
      ruleId: a.ruleId || randomUUID(),
      tagId: uuidField(a.tagId, 'automation.tag_id'),
      assigneeId: a.assigneeId.trim(),
      dueInHours: a.dueInHours,
      guideTemplate: a.guideTemplate,
    };
    const result = await this.commands.onCatalog(
      context,
      request,
      (base) => ({ type: 'DefineAutomation', data: { ...base, rule } }),
      none,
    );
    return { consistencyToken: result.consistencyToken };
  }

  async removeAutomation(
    request: tagAutomationV1.RemoveAutomationRequest,
    metadata?: Metadata,
  ): Promise<tagAutomationV1.RemoveAutomationResponse> {
    const context = await caller(this.edge, metadata, 'governance.write', request.idempotencyKey);
    const ruleId = textField(request.ruleId, 'rule_id');
    const result = await this.commands.onCatalog(
      context,
      request,
      (base) => ({ type: 'RemoveAutomation', data: { ...base, ruleId } }),
      none,
    );
    return { consistencyToken: result.consistencyToken };
  }

  async listAutomations(
    _request: tagAutomationV1.ListAutomationsRequest,
    metadata?: Metadata,
  ): Promise<tagAutomationV1.ListAutomationsResponse> {
    const context = await caller(this.edge, metadata, 'catalog.read');
    const { state } = await this.commands.catalog(context.principal.tenantId);
    // A rule names its tag: listed only to callers who may see the tag, like the other governance lists.
    const reader = await readerFor(this.edge, context);
    return { automations: [...state.automations.values()].filter((r) => reader.see(r.tagId)) };
  }

  async listFollowUpTasks(
    request: tagAutomationV1.ListFollowUpTasksRequest,
    metadata?: Metadata,
  ): Promise<tagAutomationV1.ListFollowUpTasksResponse> {
    const context = await caller(this.edge, metadata, 'catalog.read');
    const pageSize = pageSizeField(request.pageSize, 100, 500);
    const after = decodeCursor(request.pageToken, ['instant', 'text']);
    await consistent(this.edge, request.consistencyToken, context);
    const query = this.db
      .getRepository(FollowUpTaskView)
      .createQueryBuilder('t')
      .where('t.tenant_id = :tenant', { tenant: context.principal.tenantId })
      .andWhere('(t.due_at, t.task_id) > (:at, :id)', {
        at: after?.[0] ?? '-infinity',
        id: after?.[1] ?? '',
      });
    if (request.assigneeId) query.andWhere('t.assignee_id = :assignee', { assignee: request.assigneeId });
    if (!request.includeCompleted) query.andWhere(`t.status = 'open'`);
    const rows = await query
      .orderBy('t.due_at', 'ASC')
      .addOrderBy('t.task_id', 'ASC')
      .limit(pageSize + 1)
      .getMany();
    const { items: all, next } = page(rows, pageSize, (r) => [r.dueAt.toISOString(), r.taskId]);
    // A task names its tag and customer: listed only to callers who may see the tag (a short page is possible).
    const reader = await readerFor(this.edge, context);
    const items = all.filter((t) => reader.see(t.tagId));
    return {
      tasks: items.map((t) => ({
        taskId: t.taskId,
        ruleId: t.ruleId,
        tagId: t.tagId,
        customerId: t.customerId,
        assigneeId: t.assigneeId,
        dueAt: t.dueAt.toISOString(),
        guide: t.guide,
        status: t.status,
        completedBy: t.completedBy ?? '',
        completedAt: iso(t.completedAt),
        note: t.note,
      })),
      nextPageToken: next,
    };
  }

  async completeFollowUpTask(
    request: tagAutomationV1.CompleteFollowUpTaskRequest,
    metadata?: Metadata,
  ): Promise<tagAutomationV1.CompleteFollowUpTaskResponse> {
    const context = await caller(this.edge, metadata, 'tasks.write');
    const taskId = uuidField(request.taskId, 'task_id');
    const note = request.note.trim();
    return this.commands.onStream(
      context,
      request,
      taskStream(context.principal.tenantId, taskId),
      { initial: () => initialTaskState, evolve: evolveTask },
      (state, now) =>
        decideCompleteTask(state, {
          taskId,
          by: context.principal.actorId,
          byAdmin: context.principal.roles.includes(TENANT_ADMIN),
          now: now.toISOString(),
          note,
        }),
    );
  }
}
