import { randomUUID } from 'node:crypto';
import {
  comparePositions,
  positionFromToken,
  positionToToken,
  type GlobalPosition,
} from '@tagguard/event-store';
import type { Principal } from '@tagguard/auth';
import type { CommandContext } from '../commands/event-writer';
import { keyUse, type NodeResult, type TagCommands } from '../commands/tag-commands';
import { decideCatalog } from '../domain/tag-catalog.decider';
import type { MemberRef, RestoreOperation, SensitivityLevel } from '../domain/tag-catalog.events';
import {
  evolveCatalog,
  subtreeOf,
  type Approval,
  type TagCatalogState,
  type TagNode,
} from '../domain/tag-catalog.state';
import { MAX_BATCH } from '../domain/tag-members';
import {
  decideRestore,
  diffTrees,
  gradeRestore,
  planRestore,
  scopeOf,
  type Change,
  type RestoreGrade,
  type RestorePlan,
  type TreeView,
} from '../domain/time-machine';
import { TagError } from '../domain/tag.errors';
import { catalogStream, derivedId, membersStream } from '../streams';
import type { AsOf, TimeMachineReader } from './time-machine.reader';

export const TAG_RECOVERY_ROLE = 'tag_recovery';

interface RestoreAnswer {
  restoreId: string;
  changes: Change[];
  level: SensitivityLevel;
  /** The member changes the answer promises: a retry completes exactly these. */
  members: RestorePlan['members'];
  approval?: Approval;
}

export interface RestoreResult {
  restoreId: string;
  changes: Change[];
  level: SensitivityLevel;
  consistencyToken: string;
  /** Set when the restore waits for a second person: nothing has changed yet. */
  approval?: Approval;
}

/** What a principal may see now (the edge's TagReader): a restore changes only tags its requester sees. */
export type RestoreSight = (principal: Principal) => Promise<{ see(tagId: string): unknown }>;

/** As-of views, diffs and point-in-time restores: reads through the reader, writes through TagCommands. */
export class TimeMachine {
  constructor(
    private readonly reader: TimeMachineReader,
    private readonly commands: TagCommands,
    private readonly clock: () => Date = () => commands.now(),
    private readonly sight?: RestoreSight,
  ) {
    commands.onApproved('restore', (approver, approval) => this.executeApproved(approver, approval));
  }

  async tagAsOf(tenantId: string, tagId: string, at: AsOf): Promise<{ node: TagNode; members: MemberRef[] }> {
    const catalog = await this.reader.catalogAt(tenantId, at);
    const node = catalog.nodes.get(tagId);
    if (!node) throw new TagError('TAG.NOT_FOUND', `tag ${tagId} did not exist then`, 'tag_id');
    const members =
      node.nodeType === 'tag' ? [...(await this.reader.membersAt(tenantId, tagId, at)).values()] : [];
    return { node, members };
  }

  /** A subtree (or the tenant) then, parents before children. */
  async treeAsOf(
    tenantId: string,
    rootId: string | null,
    at: AsOf,
  ): Promise<{ nodes: TagNode[]; view: TreeView }> {
    const view = await this.reader.view(tenantId, at, (c) => idsUnder(c, rootId));
    const nodes = rootId === null ? topDown(view.catalog) : subtreeOf(view.catalog, rootId);
    if (rootId !== null && nodes.length === 0)
      throw new TagError('TAG.NOT_FOUND', `tag ${rootId} did not exist then`, 'root_id');
    return { nodes, view };
  }

  async diff(tenantId: string, rootId: string | null, from: AsOf, to: AsOf): Promise<Change[]> {
    const [fromCatalog, toCatalog] = await Promise.all([
      this.reader.catalogAt(tenantId, from),
      this.reader.catalogAt(tenantId, to),
    ]);
    const ids = scopeOf(fromCatalog, toCatalog, rootId);
    const [before, after] = await Promise.all([
      this.reader.view(tenantId, from, () => ids),
      this.reader.view(tenantId, to, () => ids),
    ]);
    return diffTrees(before, after, ids);
  }

  /** The dry run: exactly what `restore` would append, computed against now, with its grade. */
  async plan(
    context: CommandContext,
    rootId: string | null,
    at: AsOf,
    restoreId: string = randomUUID(),
  ): Promise<RestorePlan & { grade: RestoreGrade }> {
    const current = (await this.commands.catalog(context.principal.tenantId)).state;
    const { plan, grade } = await this.planAgainst(context, current, rootId, at, restoreId, this.clock());
    return { ...plan, grade };
  }

  /**
   * Graded like any other change (domain/time-machine.ts): a critical restore asks for a second person's
   * approval instead of running; otherwise the catalogue's compensating events, RestoreApplied (the
   * answer to the key) and the sensitive operation are one append, then each tag's member changes with
   * ids derived from the restore. A retry with the same key gets the first answer and completes the
   * member changes that answer lists (never re-planned: the same changes, carried out once).
   */
  async restore(
    context: CommandContext,
    rootId: string | null,
    at: AsOf,
    request: unknown,
    approved?: {
      approvedBy: string;
      restoreId: string;
      approvalId: string;
      mayUnpurge: boolean;
      approvedMembers?: number;
      /** The requester's token roles when they asked (absent in older approvals: none). */
      requesterRoles?: readonly string[];
    },
  ): Promise<RestoreResult> {
    const tenantId = context.principal.tenantId;
    const mayUnpurge = approved?.mayUnpurge ?? context.principal.roles.includes(TAG_RECOVERY_ROLE);
    const answer = await this.commands.write<RestoreAnswer>(
      context,
      request,
      async ({ base, claim, now }) => {
        const loaded = await this.commands.catalog(tenantId);
        const previous = this.commands.answered<RestoreAnswer>(loaded, context, request);
        if (previous) return { answered: previous };
        const restoreId =
          approved?.restoreId ??
          (context.idempotencyKey ? derivedId('restore', tenantId, keyUse(context, claim)) : randomUUID());
        const { plan, grade } = await this.planAgainst(context, loaded.state, rootId, at, restoreId, now);
        await this.requireSight(context, plan, approved);
        const events = decideRestore(
          plan,
          grade,
          {
            restoreId,
            rootId,
            asOf:
              at && 'timestamp' in at
                ? { timestamp: at.timestamp.toISOString() }
                : { position: positionToToken((at as { position: GlobalPosition }).position) },
            asOfLabel: describe(at),
            actor: base.actor,
            actorRoles: context.principal.roles,
            now: base.now,
            approvedBy: approved?.approvedBy ?? null,
            approvalId: derivedId('approval', tenantId, restoreId),
            mayUnpurge,
            ...(approved?.approvedMembers !== undefined ? { approvedMembers: approved.approvedMembers } : {}),
          },
          loaded.state.policy.approvalTtlHours,
        );
        // The catalogue's own rules still hold: a frozen actor writes nothing, purged tags need tag_recovery.
        const checked = decideCatalog(
          { type: 'ApplyRestore', data: { ...base, events, unpurged: plan.unpurged, mayUnpurge } },
          loaded.state,
        );
        const requested = checked.find((e) => e.type === 'ApprovalRequested');
        const approval = requested
          ? checked.reduce(evolveCatalog, loaded.state).approvals.get(requested.data.approvalId)
          : undefined;
        return {
          result: {
            restoreId,
            changes: plan.changes,
            level: grade.level,
            members: approval ? [] : plan.members,
            ...(approval ? { approval } : {}),
          },
          appends: [
            { stream: catalogStream(tenantId), events: checked, revision: loaded.revision, answer: true },
          ],
        };
      },
    );
    let token = answer.consistencyToken;
    const memberContext: CommandContext = { ...context, idempotencyKey: undefined, callerKey: false };
    for (const change of answer.members)
      for (const [kind, list] of [
        ['add_members', change.add],
        ['remove_members', change.remove],
      ] as const)
        for (let i = 0; i < list.length; i += MAX_BATCH) {
          const result = await this.commands.onMembers(memberContext, {
            change: kind,
            tagId: change.tagId,
            members: list.slice(i, i + MAX_BATCH),
            source: 'restore',
            idSeed: `restore:${answer.restoreId}:${change.tagId}:${kind}:${i}`,
          });
          token = result.consistencyToken || token;
        }
    // A retry finds the members already changed (no append, no token): its token must still cover them.
    for (const change of answer.members) {
      if (change.add.length + change.remove.length === 0) continue;
      const [last] = await this.commands.store.readStream(
        membersStream(context.principal.tenantId, change.tagId),
        {
          direction: 'backwards',
          maxCount: 1,
        },
      );
      const current = positionFromToken(token);
      if (last && (!current || comparePositions(last.position, current) > 0))
        token = positionToToken(last.position);
    }
    return {
      restoreId: answer.restoreId,
      changes: answer.changes,
      level: answer.level,
      consistencyToken: token,
      ...(answer.approval ? { approval: answer.approval } : {}),
    };
  }

  /**
   * The requester must see every tag the plan changes, decided with the policy as it is now and inside the
   * write (D54, D84): on the plan of the catalogue state this attempt appends at, so a policy change since
   * PlanRestore, or since the approval was requested, is not slipped past. An approved restore is decided
   * on the requester's sight (their roles as they asked), never the approver's. Refused as a whole, naming
   * none of the tags.
   */
  private async requireSight(
    context: CommandContext,
    plan: RestorePlan,
    approved: { requesterRoles?: readonly string[] } | undefined,
  ): Promise<void> {
    if (!this.sight) return;
    const principal = approved
      ? { ...context.principal, roles: [...(approved.requesterRoles ?? [])] }
      : context.principal;
    const reader = await this.sight(principal);
    if (plan.changes.some((c) => !reader.see(c.nodeId)))
      throw new TagError(
        'TAG.PERMISSION_DENIED',
        'the restore would change tags you may not see: ask someone who may see all of them',
      );
  }

  /** A second person granted a critical restore: it runs now as the requester's, reported with the approver. */
  private async executeApproved(approver: CommandContext, approval: Approval): Promise<NodeResult> {
    const op = approval.operation as RestoreOperation;
    const requester: CommandContext = {
      ...approver,
      principal: {
        ...approver.principal,
        actorId: approval.requestedBy,
        ...(approval.requestedByDepartment ? { departmentId: approval.requestedByDepartment } : {}),
      },
      // The answer of the execution, so that approving again completes it instead of running it twice.
      idempotencyKey: `approval:${approval.approvalId}`,
      callerKey: false,
    };
    const at: AsOf =
      'timestamp' in op.asOf
        ? { timestamp: new Date(op.asOf.timestamp) }
        : { position: positionFromToken(op.asOf.position)! };
    const result = await this.restore(
      requester,
      op.tagId || null,
      at,
      { approved: approval.approvalId },
      {
        approvedBy: approver.principal.actorId,
        restoreId: op.restoreId,
        approvalId: approval.approvalId,
        mayUnpurge: op.mayUnpurge,
        ...(op.totalMembers !== undefined ? { approvedMembers: op.totalMembers } : {}),
        ...(op.requesterRoles ? { requesterRoles: op.requesterRoles } : {}),
      },
    );
    return { nodeId: op.tagId, revision: 0, approval, consistencyToken: result.consistencyToken };
  }

  private async planAgainst(
    context: CommandContext,
    current: TagCatalogState,
    rootId: string | null,
    at: AsOf,
    restoreId: string,
    now: Date,
  ): Promise<{ plan: RestorePlan; grade: RestoreGrade }> {
    const tenantId = context.principal.tenantId;
    const target = await this.reader.catalogAt(tenantId, at);
    const ids = scopeOf(target, current, rootId);
    const tagIds = ids.filter((id) => (current.nodes.get(id) ?? target.nodes.get(id))?.nodeType === 'tag');
    const currentMembers = new Map(
      await Promise.all(
        tagIds.map(async (id) => [id, (await this.commands.members(tenantId, id)).state.members] as const),
      ),
    );
    const targetView = await this.reader.view(tenantId, at, () => tagIds);
    const currentView = { catalog: current, members: currentMembers };
    const plan = planRestore(currentView, { catalog: target, members: targetView.members }, ids, {
      restoreId,
      asOf: describe(at),
      actorId: context.principal.actorId,
      now: now.toISOString(),
    });
    return { plan, grade: gradeRestore(plan, currentView) };
  }
}

function idsUnder(catalog: TagCatalogState, rootId: string | null): string[] {
  return rootId === null ? [...catalog.nodes.keys()] : subtreeOf(catalog, rootId).map((n) => n.nodeId);
}

function topDown(catalog: TagCatalogState): TagNode[] {
  return [...catalog.nodes.values()]
    .filter((n) => n.parentId === null)
    .flatMap((root) => subtreeOf(catalog, root.nodeId));
}

function describe(at: AsOf): string {
  if (!at) return 'now';
  return 'timestamp' in at ? at.timestamp.toISOString() : `${at.position.commit}/${at.position.prepare}`;
}
