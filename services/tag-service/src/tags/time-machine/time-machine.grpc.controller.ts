import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { parseRfc3339, tagV1, timeMachineV1 } from '@tagguard/contracts';
import { positionFromToken } from '@tagguard/event-store';
import { Observable } from 'rxjs';
import type { TagNode } from '../domain/tag-catalog.state';
import type { MemberRef } from '../domain/tag-catalog.events';
import type { Change } from '../domain/time-machine';
import { TagError } from '../domain/tag.errors';
import { caller, optionalUuid, readerFor, uuidField, TAG_EDGE, type EdgeDeps } from '../edge';
import { MASK, maskTag } from '../authorization/masking';
import type { TagSight } from '../authorization/tag-authorizer.port';
import { tagKindToWire, toApproval } from '../wire';
import { ReadModelRebuilder } from '../rebuild/read-model-rebuilder';
import { recordRebuild } from '../rebuild/read-models-rebuilt';
import { TagCommands } from '../commands/tag-commands';
import { TimeMachine } from './time-machine';
import type { AsOf } from './time-machine.reader';
import type { CommandContext } from '../commands/event-writer';

/** tagguard.tag.v1.TimeMachineService: as-of views, diffs, point-in-time restore, forced re-initialization. */
@Controller()
@timeMachineV1.TimeMachineServiceControllerMethods()
export class TimeMachineGrpcController implements timeMachineV1.TimeMachineServiceController {
  constructor(
    @Inject(TimeMachine) private readonly machine: TimeMachine,
    @Inject(ReadModelRebuilder) private readonly rebuilder: ReadModelRebuilder,
    @Inject(TAG_EDGE) private readonly edge: EdgeDeps,
    @Inject(TagCommands) private readonly commands: TagCommands,
  ) {}

  async getTagAsOf(
    request: timeMachineV1.GetTagAsOfRequest,
    metadata?: Metadata,
  ): Promise<timeMachineV1.GetTagAsOfResponse> {
    const context = await caller(this.edge, metadata, 'catalog.read');
    const tagId = uuidField(request.tagId, 'tag_id');
    const at = asOfField(request.asOf, 'as_of');
    const sight = (await readerFor(this.edge, context)).see(tagId);
    // The same answer as for a tag that did not exist then.
    if (!sight) throw new TagError('TAG.NOT_FOUND', `tag ${tagId} did not exist then`, 'tag_id');
    const { node, members } = await this.machine.tagAsOf(context.principal.tenantId, tagId, at);
    return { tag: { tag: maskTag(nodeToTag(node, members.length), sight), members: members.map(ref) } };
  }

  async getTreeAsOf(
    request: timeMachineV1.GetTreeAsOfRequest,
    metadata?: Metadata,
  ): Promise<timeMachineV1.GetTreeAsOfResponse> {
    const context = await caller(this.edge, metadata, 'catalog.read');
    const rootId = optionalUuid(request.rootId, 'root_id');
    const at = asOfField(request.asOf, 'as_of');
    const reader = await readerFor(this.edge, context);
    if (rootId && !reader.see(rootId))
      throw new TagError('TAG.NOT_FOUND', `tag ${rootId} did not exist then`, 'root_id');
    const { nodes, view } = await this.machine.treeAsOf(context.principal.tenantId, rootId, at);
    return {
      nodes: nodes
        .filter((n) => (request.includeDeleted || n.status === 'active') && reader.see(n.nodeId))
        .map((n) => {
          const members = [...(view.members.get(n.nodeId)?.values() ?? [])];
          return {
            tag: maskTag(nodeToTag(n, members.length), reader.see(n.nodeId)!),
            members: request.includeMembers ? members.map(ref) : [],
          };
        }),
    };
  }

  async diffTags(
    request: timeMachineV1.DiffTagsRequest,
    metadata?: Metadata,
  ): Promise<timeMachineV1.DiffTagsResponse> {
    const context = await caller(this.edge, metadata, 'catalog.read');
    const rootId = optionalUuid(request.rootId, 'root_id');
    const from = asOfField(request.from, 'from');
    const to = asOfField(request.to, 'to');
    const reader = await readerFor(this.edge, context);
    if (rootId && !reader.see(rootId))
      throw new TagError('TAG.NOT_FOUND', `tag ${rootId} not found`, 'tag_id');
    const changes = await this.machine.diff(context.principal.tenantId, rootId, from, to);
    return {
      changes: changes.flatMap((c) => {
        const sight = reader.see(c.nodeId);
        return sight ? [maskChange(toChange(c), sight)] : [];
      }),
    };
  }

  async planRestore(
    request: timeMachineV1.PlanRestoreRequest,
    metadata?: Metadata,
  ): Promise<timeMachineV1.PlanRestoreResponse> {
    const context = await caller(this.edge, metadata, 'catalog.write');
    const rootId = optionalUuid(request.rootId, 'root_id');
    const plan = await this.visiblePlan(context, rootId, requiredAsOf(request.asOf));
    return {
      changes: plan.changes.map(toChange),
      unpurged: plan.unpurged,
      sensitivityLevel: plan.grade.level,
      membersAffected: plan.grade.totalMembers,
      requiresApproval: plan.grade.level === 'critical',
    };
  }

  async restoreToPoint(
    request: timeMachineV1.RestoreToPointRequest,
    metadata?: Metadata,
  ): Promise<timeMachineV1.RestoreToPointResponse> {
    const context = await caller(this.edge, metadata, 'catalog.write', request.idempotencyKey);
    const rootId = optionalUuid(request.rootId, 'root_id');
    const at = requiredAsOf(request.asOf);
    // The plan's tags are checked inside the restore's write (TimeMachine.requireSight): one step, not two.
    if (rootId && !(await readerFor(this.edge, context)).see(rootId))
      throw new TagError('TAG.NOT_FOUND', `tag ${rootId} not found`, 'tag_id');
    const result = await this.machine.restore(context, rootId, at, request);
    return {
      restoreId: result.restoreId,
      changes: result.changes.map(toChange),
      consistencyToken: result.consistencyToken,
      pendingApproval: result.approval ? toApproval(result.approval) : undefined,
      sensitivityLevel: result.level,
    };
  }

  /**
   * The plan of a restore the caller may see all of. An invisible root answers as an absent one; a restore
   * that would change a tag the caller may not see is refused as a whole, naming none of them (D54): the
   * safe choice — a partial restore would leave the catalogue in a state that never existed.
   */
  private async visiblePlan(context: CommandContext, rootId: string | null, at: AsOf) {
    const reader = await readerFor(this.edge, context);
    if (rootId && !reader.see(rootId))
      throw new TagError('TAG.NOT_FOUND', `tag ${rootId} not found`, 'tag_id'); // as domain/time-machine.ts says for an absent one
    const plan = await this.machine.plan(context, rootId, at);
    if (plan.changes.some((c) => !reader.see(c.nodeId)))
      throw new TagError(
        'TAG.PERMISSION_DENIED',
        'the restore would change tags you may not see: ask someone who may see all of them',
      );
    return plan;
  }

  rebuildReadModels(
    request: timeMachineV1.RebuildReadModelsRequest,
    metadata?: Metadata,
  ): Observable<timeMachineV1.RebuildReadModelsResponse> {
    return new Observable((subscriber) => {
      const abort = new AbortController();
      void (async () => {
        // Shared by every tenant, so the answer counts every tenant's rows: a platform action.
        const context = await caller(this.edge, metadata, 'readmodels.rebuild');
        const options = { verifyOnly: request.verifyOnly, acceptDifferences: request.acceptDifferences };
        const last = await this.rebuilder.rebuild(
          options,
          (p) =>
            subscriber.next({
              ...p,
              eventsDone: String(p.eventsDone),
              eventsTotal: String(p.eventsTotal),
              checks: p.checks.map((c) => ({
                ...c,
                liveRows: String(c.liveRows),
                rebuiltRows: String(c.rebuiltRows),
              })),
            }),
          abort.signal,
        );
        await recordRebuild(this.commands.store, context, options, last);
        subscriber.complete();
      })().catch((error: unknown) => subscriber.error(error));
      // The caller hung up or cancelled: stop and drop the shadow.
      return () => abort.abort();
    });
  }
}

function asOfField(asOf: timeMachineV1.AsOf | undefined, field: string): AsOf {
  if (!asOf || (!asOf.timestamp && !asOf.position)) return undefined;
  if (asOf.timestamp !== undefined) {
    const ms = parseRfc3339(asOf.timestamp);
    if (ms === undefined)
      throw new TagError(
        'TAG.INVALID_ARGUMENT',
        'must be an RFC 3339 timestamp with a zone, e.g. 2026-12-01T00:00:00Z',
        `${field}.timestamp`,
      );
    return { timestamp: new Date(ms) };
  }
  const position = positionFromToken(asOf.position!);
  if (!position)
    throw new TagError('TAG.INVALID_ARGUMENT', 'must be a consistency token', `${field}.position`);
  return { position };
}

function requiredAsOf(asOf: timeMachineV1.AsOf | undefined): AsOf {
  const at = asOfField(asOf, 'as_of');
  if (!at)
    throw new TagError(
      'TAG.INVALID_ARGUMENT',
      'is required: a timestamp or a position to restore to',
      'as_of',
    );
  return at;
}

const ref = (m: MemberRef): string => `${m.kind}:${m.id}`;

function nodeToTag(n: TagNode, memberCount: number): tagV1.Tag {
  return {
    tagId: n.nodeId,
    name: n.name,
    kind: tagKindToWire(n.kind),
    revision: String(n.revision),
    deleted: n.status !== 'active',
    createdAt: '',
    updatedAt: '',
    nodeType:
      n.nodeType === 'group' ? tagV1.TagNodeType.TAG_NODE_TYPE_GROUP : tagV1.TagNodeType.TAG_NODE_TYPE_TAG,
    parentId: n.parentId ?? '',
    order: n.order,
    description: n.description,
    visibility: {
      restricted: n.visibility.scope === 'restricted',
      departments: n.visibility.departments,
      roles: n.visibility.roles,
      memberIds: n.visibility.members,
    },
    sensitive: n.sensitive,
    protected: n.protected,
    status:
      n.status === 'active'
        ? tagV1.TagStatus.TAG_STATUS_ACTIVE
        : n.status === 'binned'
          ? tagV1.TagStatus.TAG_STATUS_BINNED
          : tagV1.TagStatus.TAG_STATUS_PURGED,
    memberCount,
    deletedBy: n.bin?.deletedBy ?? '',
    deletedAt: n.bin?.deletedAt ?? '',
    purgeDueAt: n.bin?.purgeDueAt ?? '',
  };
}

function toChange(c: Change): timeMachineV1.TagChange {
  return {
    tagId: c.nodeId,
    name: c.name,
    change: c.change,
    previousName: c.change === 'renamed' ? c.previousName : '',
    parentId: c.change === 'moved' ? (c.parentId ?? '') : '',
    previousParentId: c.change === 'moved' ? (c.previousParentId ?? '') : '',
    fields: c.change === 'configured' ? c.fields : [],
    members: c.change === 'members_added' || c.change === 'members_removed' ? c.members.map(ref) : [],
  };
}

/** A change of a tag whose name is masked for this caller names it masked too. */
function maskChange(change: timeMachineV1.TagChange, sight: TagSight): timeMachineV1.TagChange {
  if (!sight.maskedFields.includes('name')) return change;
  return { ...change, name: MASK, previousName: change.previousName ? MASK : '' };
}
