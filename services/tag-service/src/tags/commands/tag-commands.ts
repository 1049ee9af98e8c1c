import { randomUUID } from 'node:crypto';
import { positionToToken, WrongExpectedRevisionError, type EventStore } from '@tagguard/event-store';
import { decideCatalog, type Actor, type TagCatalogCommand } from '../domain/tag-catalog.decider';
import type { MemberRef, TagCatalogEvent } from '../domain/tag-catalog.events';
import {
  evolveCatalog,
  initialCatalogState,
  subtreeOf,
  type Approval,
  type TagCatalogState,
  type TagNode,
} from '../domain/tag-catalog.state';
import { TagError } from '../domain/tag.errors';
import {
  decideMembers,
  evolveMembers,
  initialMembersState,
  planMembers,
  type ChangeSource,
  type ItemResult,
  type TagMembersCommand,
  type TagMembersState,
} from '../domain/tag-members';
import { catalogStream, derivedId, membersStream } from '../streams';
import { append, loadStream, requestHash, type CommandContext, type Loaded } from './event-writer';

export interface NodeResult {
  nodeId: string;
  /** The node's revision after the write: the next update's expected_revision. */
  revision: number;
  /** Set when the operation waits for a second person instead of executing. */
  approval?: Approval;
  consistencyToken: string;
}

export interface MembersResult {
  tagId: string;
  results: (ItemResult & { pendingApproval?: boolean })[];
  membersRevision: number;
  approval?: Approval;
  consistencyToken: string;
}

const MAX_CONFLICT_RETRIES = 10;
const MEMBER_CACHE_SIZE = 2_000;

/**
 * The write side of tag-service: load → decide → append, for the catalogue and for memberships. Keeps
 * each tenant's catalogue state and recently used member states in memory (derived data: refreshed from
 * the stream before every use, reading only the events since),
 * and serialises one tenant's writes within this process so they rarely meet as version conflicts;
 * across processes the stream revision decides and a conflict is decided again.
 */
export class TagCommands {
  private readonly catalogs = new Map<string, Loaded<TagCatalogState>>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly memberStates = new Map<string, Loaded<TagMembersState>>();

  constructor(
    readonly store: EventStore,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** The tenant's catalogue as of now (what queries of small, strongly consistent lists read). */
  async catalog(tenantId: string): Promise<Loaded<TagCatalogState>> {
    const loaded = await loadStream(
      this.store,
      catalogStream(tenantId),
      initialCatalogState(),
      evolveCatalog,
      this.catalogs.get(tenantId),
    );
    this.catalogs.set(tenantId, loaded);
    return loaded;
  }

  async members(tenantId: string, tagId: string): Promise<Loaded<TagMembersState>> {
    const stream = membersStream(tenantId, tagId);
    const loaded = await loadStream(
      this.store,
      stream,
      initialMembersState(),
      evolveMembers,
      this.memberStates.get(stream),
    );
    // Most recently used last; the oldest goes when the cache is full (it is only a head start).
    this.memberStates.delete(stream);
    this.memberStates.set(stream, loaded);
    if (this.memberStates.size > MEMBER_CACHE_SIZE)
      this.memberStates.delete(this.memberStates.keys().next().value!);
    return loaded;
  }

  /** A catalogue command; `request` is what the idempotency key is bound to. */
  async onCatalog(
    context: CommandContext,
    request: unknown,
    build: (
      base: { actor: Actor; now: string },
      state: TagCatalogState,
    ) => Promise<TagCatalogCommand> | TagCatalogCommand,
    subjectOf: (events: TagCatalogEvent[]) => string,
  ): Promise<NodeResult> {
    const tenantId = context.principal.tenantId;
    return this.serialised(tenantId, async () => {
      for (let attempt = 0; ; attempt++) {
        const loaded = await this.catalog(tenantId);
        const previous = this.previousAnswer<NodeResult>(loaded, context, request);
        if (previous) return previous;
        const command = await build(this.base(context), loaded.state);
        const events = decideCatalog(command, loaded.state);
        const after = events.reduce(evolveCatalog, loaded.state);
        const nodeId = subjectOf(events);
        const approvalEvent = events.find((e) => e.type === 'ApprovalRequested');
        const approval = approvalEvent ? after.approvals.get(approvalEvent.data.approvalId) : undefined;
        const result = {
          nodeId,
          revision: after.nodes.get(nodeId)?.revision ?? 0,
          ...(approval ? { approval } : {}),
        };
        if (events.length === 0) return { ...result, consistencyToken: '' };
        try {
          const written = await append(
            this.store,
            catalogStream(tenantId),
            events,
            loaded.revision,
            context,
            {
              answer: { requestHash: requestHash(request), result },
            },
          );
          return { ...result, consistencyToken: positionToToken(written.position) };
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
        }
      }
    });
  }

  /** Member counts of every tag under (and including) a node, read from the tags' own streams. */
  async memberCounts(
    tenantId: string,
    state: TagCatalogState,
    nodeId: string,
  ): Promise<Record<string, number>> {
    const tags = subtreeOf(state, nodeId).filter((n: TagNode) => n.nodeType === 'tag');
    const counts = await Promise.all(
      tags.map(async (t) => [t.nodeId, (await this.members(tenantId, t.nodeId)).state.members.size] as const),
    );
    return Object.fromEntries(counts);
  }

  /**
   * Add or remove members. The catalogue decides first (the tag exists and is a tag, the actor is not
   * frozen, a protected tag needs a second person, a large removal is reported and may freeze the actor)
   * and its events are written before the membership change; then the members stream.
   */
  async onMembers(
    context: CommandContext,
    input: {
      change: 'add_members' | 'remove_members';
      tagId: string;
      members: MemberRef[];
      attributes?: Record<string, Record<string, string>>;
      expectedRevision?: number;
      source?: ChangeSource;
      /** Set when an approval executes the change: ids derive from it, so a retry is the same append. */
      idSeed?: string;
    },
  ): Promise<MembersResult> {
    const tenantId = context.principal.tenantId;
    const request = { ...input, idSeed: undefined };
    const operationId = derivedId('op', tenantId, context.idempotencyKey ?? input.idSeed ?? randomUUID());
    return this.serialised(tenantId, async () => {
      for (let attempt = 0; ; attempt++) {
        const loaded = await this.members(tenantId, input.tagId);
        const previous = this.previousAnswer<MembersResult>(loaded, context, request);
        if (previous) return previous;
        const catalog = await this.catalog(tenantId);
        const previousApproval = this.previousAnswer<MembersResult>(catalog, context, request);
        if (previousApproval) return previousApproval;
        const node = catalog.state.nodes.get(input.tagId);
        const command: TagMembersCommand =
          input.change === 'add_members'
            ? {
                type: 'AddMembers',
                data: {
                  tagId: input.tagId,
                  tagKind: node?.kind ?? 'customer',
                  members: input.members,
                  actorRoles: context.principal.roles,
                  source: input.source ?? 'api',
                  ...(input.attributes ? { attributes: input.attributes } : {}),
                },
              }
            : {
                type: 'RemoveMembers',
                data: {
                  tagId: input.tagId,
                  members: input.members,
                  actorRoles: context.principal.roles,
                  source: input.source ?? 'api',
                },
              };
        const revision = Number(loaded.revision ?? -1n);
        if (input.expectedRevision !== undefined && input.expectedRevision !== revision)
          throw new TagError(
            'TAG.WRONG_EXPECTED_REVISION',
            `members of ${input.tagId} are at revision ${revision}, not ${input.expectedRevision}`,
            'expected_revision',
          );
        const plan = planMembers(command, loaded.state);
        const changing = plan.filter((r) => r.outcome === 'ok').map((r) => r.member);
        // Approval-executed changes were guarded when they were requested; reverts restore what was there.
        const guard =
          input.source === 'approval' || input.source === 'revert' || input.source === 'restore'
            ? []
            : decideCatalog(
                {
                  type: 'GuardMembershipChange',
                  data: {
                    ...this.base(context),
                    change: input.change,
                    tagId: input.tagId,
                    members: changing,
                    operationId,
                    approvalId: operationId,
                  },
                },
                catalog.state,
              );
        const approvalEvent = guard.find((e) => e.type === 'ApprovalRequested');
        if (approvalEvent && changing.length > 0) {
          const approval = guard
            .reduce(evolveCatalog, catalog.state)
            .approvals.get(approvalEvent.data.approvalId)!;
          const results = plan.map((r) => (r.outcome === 'ok' ? { ...r, pendingApproval: true } : r));
          const result = { tagId: input.tagId, results, membersRevision: revision, approval };
          try {
            const written = await append(
              this.store,
              catalogStream(tenantId),
              guard,
              catalog.revision,
              context,
              {
                answer: { requestHash: requestHash(request), result },
              },
            );
            return { ...result, consistencyToken: positionToToken(written.position) };
          } catch (error) {
            if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_CONFLICT_RETRIES)
              throw error;
            continue;
          }
        }
        const events = decideMembers(command, loaded.state);
        const result = { tagId: input.tagId, results: plan, membersRevision: revision + events.length };
        if (events.length === 0) return { ...result, consistencyToken: '' };
        try {
          // Reported (and the actor frozen) before the removal lands: a crash in between errs on the safe side.
          if (guard.length > 0)
            await append(
              this.store,
              catalogStream(tenantId),
              guard,
              catalog.revision,
              { ...context, idempotencyKey: undefined },
              { idSeed: `guard:${operationId}` },
            );
          const written = await append(
            this.store,
            membersStream(tenantId, input.tagId),
            events,
            loaded.revision,
            context,
            {
              answer: { requestHash: requestHash(request), result },
              ...(input.idSeed ? { idSeed: input.idSeed } : {}),
            },
          );
          return { ...result, consistencyToken: positionToToken(written.position) };
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
        }
      }
    });
  }

  /**
   * A second person approves: the catalogue records it (and executes a delete in the same append);
   * a membership change then runs with ids derived from the approval, so approving again after a crash
   * completes it exactly once.
   */
  async approve(context: CommandContext, approvalId: string): Promise<NodeResult> {
    const tenantId = context.principal.tenantId;
    const current = (await this.catalog(tenantId)).state.approvals.get(approvalId);
    let granted: NodeResult | undefined;
    if (current?.status !== 'granted') {
      granted = await this.onCatalog(
        context,
        { approve: approvalId },
        async (base, state) => {
          const op = state.approvals.get(approvalId)?.operation;
          const memberCounts =
            op?.type === 'delete' ? await this.memberCounts(tenantId, state, op.nodeId) : {};
          return {
            type: 'ApproveOperation',
            data: { ...base, approvalId, memberCounts, operationId: derivedId('op', tenantId, approvalId) },
          };
        },
        (events) => subjectOfApproval(events, approvalId),
      );
    }
    const approval = (await this.catalog(tenantId)).state.approvals.get(approvalId);
    if (!approval) throw new TagError('TAG.NOT_FOUND', `approval ${approvalId} not found`, 'approval_id');
    if (!granted && approval.decidedBy !== context.principal.actorId)
      throw new TagError(
        'TAG.FAILED_PRECONDITION',
        `approval ${approvalId} is already granted`,
        'approval_id',
      );
    const op = approval.operation;
    if (op.type === 'delete')
      return granted ?? { nodeId: op.nodeId, revision: 0, approval, consistencyToken: '' };
    // Executed as the requester's change, approved by this caller.
    const requester: CommandContext = {
      ...context,
      idempotencyKey: undefined,
      principal: { ...context.principal, actorId: approval.requestedBy },
    };
    const executed = await this.onMembers(requester, {
      change: op.type,
      tagId: op.tagId,
      members: op.members,
      source: 'approval',
      idSeed: `approval:${approvalId}`,
    });
    return {
      nodeId: op.tagId,
      revision: executed.membersRevision,
      approval,
      consistencyToken: executed.consistencyToken || granted?.consistencyToken || '',
    };
  }

  private base(context: CommandContext): { actor: Actor; now: string } {
    const p = context.principal;
    return {
      actor: { actorId: p.actorId, roles: p.roles, departmentId: p.departmentId ?? null },
      now: this.clock().toISOString(),
    };
  }

  private previousAnswer<R>(
    loaded: Loaded<unknown>,
    context: CommandContext,
    request: unknown,
  ): (R & { consistencyToken: string }) | undefined {
    if (!context.idempotencyKey) return undefined;
    const answer = loaded.answers.get(context.idempotencyKey);
    if (!answer) return undefined;
    if (answer.requestHash !== requestHash(request))
      throw new TagError(
        'TAG.INVALID_ARGUMENT',
        'was already used for a different request',
        'idempotency_key',
      );
    return { ...(answer.result as R), consistencyToken: positionToToken(answer.event.position) };
  }

  private serialised<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(tenantId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.locks.set(tenantId, settled);
    void settled.then(() => {
      if (this.locks.get(tenantId) === settled) this.locks.delete(tenantId);
    });
    return next;
  }
}

function subjectOfApproval(events: TagCatalogEvent[], approvalId: string): string {
  const binned = events.find((e) => e.type === 'NodesBinned');
  return binned ? binned.data.rootId : approvalId;
}
