import { randomUUID } from 'node:crypto';
import { KeyedTurns } from '@tagguard/concurrency';
import { positionToToken, type EventStore } from '@tagguard/event-store';
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
  applyMembers,
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
import {
  append,
  IDEMPOTENCY_WINDOW_MS,
  loadStream,
  pruneAnswers,
  requestHash,
  retryOnConflict,
  type CommandContext,
  type Fold,
  type Loaded,
} from './event-writer';
import { KeyClaims, type KeyClaim } from './key-claims';
import {
  decodeLoaded,
  encodeLoaded,
  WRITE_SNAPSHOT_EVERY,
  writeSnapshotId,
  type WriteSnapshotStore,
} from './write-snapshots';
import { decodeCatalog, decodeMembers, encodeCatalog, encodeMembers } from '../time-machine/state-codec';
import type { DirectoryFacts } from '../directory-copy/domain/member-checks.decider';

/** The directory facts of members about to be added, from tag-service's local copy of the directory. */
export type DirectoryLookup = (tenantId: string, members: MemberRef[]) => Promise<DirectoryFacts>;

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

/** One append a decision asks for; a decision may ask for several, written in order. */
export interface PlannedAppend {
  stream: string;
  events: { type: string; data: unknown }[];
  /** The revision the events were decided on. */
  revision: bigint | undefined;
  /** This append carries the answer for the idempotency key (atomically with the change). */
  answer?: boolean;
  /** Written without the key (and so without an answer), with ids derived from this seed. */
  idSeed?: string;
}

/** What one attempt decided: either an earlier answer, or the appends and the answer they give. */
export type Decision<R> =
  { answered: R & { consistencyToken: string } } | { appends: PlannedAppend[]; result: R };

export interface Attempt {
  /** The caller's key, bound to this request (undefined without a caller key). */
  claim?: KeyClaim;
  now: Date;
  base: { actor: Actor; now: string };
}

const MEMBER_CACHE_SIZE = 2_000;
const CATALOG: Fold<TagCatalogState, TagCatalogEvent> = {
  initial: initialCatalogState,
  evolve: evolveCatalog,
  codec: { encode: encodeCatalog, decode: decodeCatalog },
};
export const MEMBERS: Fold<TagMembersState, Parameters<typeof evolveMembers>[1]> = {
  initial: initialMembersState,
  evolve: evolveMembers,
  // One copy of the members map for a whole tail, not one per event (O(events × members) on a cold load).
  evolveAll: (state, events) => {
    const members = new Map(state.members);
    for (const e of events) applyMembers(members, e);
    return { members };
  },
  codec: { encode: encodeMembers, decode: decodeMembers },
};

/** Runs when a second person grants an approval of this operation type (registered by its feature). */
export type ApprovalExecutor = (approver: CommandContext, approval: Approval) => Promise<NodeResult>;

/**
 * The write side of tag-service. Every command goes through `write`: (bind the caller's key) → load →
 * decide → append at the loaded revision → on a version conflict, decide again (MAX_CONFLICT_RETRIES),
 * with one clock. Keeps each tenant's catalogue state and recently used member states in memory (derived
 * data: refreshed from the stream before every use, reading only the events since), and serialises one
 * tenant's writes within this process so they rarely meet as version conflicts; across processes the
 * stream revision decides.
 */
export class TagCommands {
  private readonly catalogs = new Map<string, Loaded<TagCatalogState>>();
  /** A tenant's commands in this process, one after the other. */
  private readonly turns = new KeyedTurns();
  private readonly memberStates = new Map<string, Loaded<TagMembersState>>();
  private readonly claims: KeyClaims;
  private readonly executors = new Map<string, ApprovalExecutor>();
  private directory?: DirectoryLookup;

  constructor(
    readonly store: EventStore,
    private readonly clock: () => Date = () => new Date(),
    private readonly snapshots?: WriteSnapshotStore,
    private readonly onSnapshotError: (error: unknown) => void = () => undefined,
  ) {
    this.claims = new KeyClaims(store);
  }

  /** The one clock of the write side (events' occurredAt, decisions' `now`, the idempotency window). */
  now(): Date {
    return this.clock();
  }

  onApproved(operationType: string, executor: ApprovalExecutor): void {
    this.executors.set(operationType, executor);
  }

  /** Every add, whatever its source, is checked against these facts (docs/decisions.md D34). */
  checkMembersWith(lookup: DirectoryLookup): void {
    this.directory = lookup;
  }

  /** The tenant's catalogue as of now (what queries of small, strongly consistent lists read). */
  async catalog(tenantId: string): Promise<Loaded<TagCatalogState>> {
    const loaded = await this.load(catalogStream(tenantId), CATALOG, this.catalogs.get(tenantId));
    this.catalogs.set(tenantId, loaded);
    return loaded;
  }

  async members(tenantId: string, tagId: string): Promise<Loaded<TagMembersState>> {
    const stream = membersStream(tenantId, tagId);
    const loaded = await this.load(stream, MEMBERS, this.memberStates.get(stream));
    // Most recently used last; the oldest goes when the cache is full (it is only a head start).
    this.memberStates.delete(stream);
    this.memberStates.set(stream, loaded);
    if (this.memberStates.size > MEMBER_CACHE_SIZE)
      this.memberStates.delete(this.memberStates.keys().next().value!);
    return loaded;
  }

  /** Any other stream of the write side (a follow-up task), read whole: they are short. */
  loadStream<S, E>(stream: string, fold: Fold<S, E>): Promise<Loaded<S>> {
    return this.load(stream, fold);
  }

  /**
   * The one write path. `decide` loads what it needs, returns an earlier answer or the appends; the
   * appends are written here, in order, at the revisions they were decided on.
   */
  write<R extends object>(
    context: CommandContext,
    request: unknown,
    decide: (attempt: Attempt) => Promise<Decision<R>>,
  ): Promise<R & { consistencyToken: string }> {
    const tenantId = context.principal.tenantId;
    const hash = requestHash(request);
    return this.turns.run(tenantId, () =>
      retryOnConflict(async () => {
        const now = this.clock();
        const claim =
          context.idempotencyKey && context.callerKey
            ? await this.claims.inspect(context, hash, now)
            : undefined;
        if (claim?.result !== undefined) return claim.result as R & { consistencyToken: string };
        const decision = await decide({ ...(claim ? { claim } : {}), now, base: this.base(context, now) });
        if ('answered' in decision) return decision.answered;
        // Bound before the first append: a crash in between leaves a claim whose retry completes it.
        if (claim && !claim.claimed)
          await this.claims.commit(
            claim,
            context,
            now,
            decision.appends.length === 0 ? { ...decision.result, consistencyToken: '' } : undefined,
          );
        let consistencyToken = '';
        for (const planned of decision.appends) {
          const keyed = !planned.idSeed && context.idempotencyKey !== undefined;
          const written = await append(
            this.store,
            planned.stream,
            planned.events,
            planned.revision,
            keyed ? context : { ...context, idempotencyKey: undefined },
            now,
            {
              ...(planned.answer && keyed ? { answer: { requestHash: hash, result: decision.result } } : {}),
              ...(planned.idSeed
                ? { idSeed: planned.idSeed }
                : claim
                  ? { idSeed: `key:${tenantId}:${keyUse(context, claim)}` }
                  : {}),
            },
          );
          consistencyToken = positionToToken(written.position);
        }
        return { ...decision.result, consistencyToken };
      }),
    );
  }

  /** An earlier answer to this key on this stream: the same request gets it again, another is refused. */
  answered<R>(
    loaded: Loaded<unknown>,
    context: CommandContext,
    request: unknown,
  ): (R & { consistencyToken: string }) | undefined {
    if (!context.idempotencyKey) return undefined;
    const answer = loaded.answers.get(context.idempotencyKey);
    if (!answer) return undefined;
    if (this.clock().getTime() - answer.recordedAt.getTime() >= IDEMPOTENCY_WINDOW_MS) return undefined;
    if (answer.requestHash !== requestHash(request))
      throw new TagError(
        'TAG.INVALID_ARGUMENT',
        'was already used for a different request',
        'idempotency_key',
      );
    return { ...(answer.result as R), consistencyToken: positionToToken(answer.position) };
  }

  /** A catalogue command; `request` is what the idempotency key is bound to. */
  onCatalog(
    context: CommandContext,
    request: unknown,
    build: (
      base: { actor: Actor; now: string },
      state: TagCatalogState,
    ) => Promise<TagCatalogCommand> | TagCatalogCommand,
    subjectOf: (events: TagCatalogEvent[]) => string,
  ): Promise<NodeResult> {
    const tenantId = context.principal.tenantId;
    return this.write<Omit<NodeResult, 'consistencyToken'>>(context, request, async ({ base }) => {
      const loaded = await this.catalog(tenantId);
      const previous = this.answered<NodeResult>(loaded, context, request);
      if (previous) return { answered: previous };
      const command = await build(base, loaded.state);
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
      return {
        result,
        appends:
          events.length === 0
            ? []
            : [{ stream: catalogStream(tenantId), events, revision: loaded.revision, answer: true }],
      };
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
  onMembers(
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
    const fallbackId = input.idSeed ?? randomUUID();
    return this.write<Omit<MembersResult, 'consistencyToken'>>(context, request, async ({ base, claim }) => {
      const operationId = derivedId(
        'op',
        tenantId,
        context.idempotencyKey ? keyUse(context, claim) : fallbackId,
      );
      // Read beside the stream loads (not after them): the check costs no round trip of its own.
      const facts = input.change === 'add_members' ? this.directory?.(tenantId, input.members) : undefined;
      facts?.catch(() => undefined);
      const loaded = await this.members(tenantId, input.tagId);
      const previous = this.answered<MembersResult>(loaded, context, request);
      if (previous) return { answered: previous };
      const catalog = await this.catalog(tenantId);
      const previousApproval = this.answered<MembersResult>(catalog, context, request);
      if (previousApproval) return { answered: previousApproval };
      const node = catalog.state.nodes.get(input.tagId);
      const directory = await facts;
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
                ...(directory ? { directory } : {}),
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
      // Approval-executed changes were guarded when they were requested; reverts restore what was there;
      // restores are graded as a whole by the time machine; the directory's removals follow a tenant policy.
      const guard =
        input.source === 'approval' ||
        input.source === 'revert' ||
        input.source === 'restore' ||
        input.source === 'directory'
          ? []
          : decideCatalog(
              {
                type: 'GuardMembershipChange',
                data: {
                  ...base,
                  change: input.change,
                  tagId: input.tagId,
                  members: changing,
                  ...(input.attributes ? { attributes: input.attributes } : {}),
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
        return {
          result: { tagId: input.tagId, results, membersRevision: revision, approval },
          appends: [
            { stream: catalogStream(tenantId), events: guard, revision: catalog.revision, answer: true },
          ],
        };
      }
      const events = decideMembers(command, loaded.state);
      const result = { tagId: input.tagId, results: plan, membersRevision: revision + events.length };
      if (events.length === 0) return { result, appends: [] };
      return {
        result,
        appends: [
          // Reported (and the actor frozen) before the removal lands: a crash in between errs on the safe side.
          ...(guard.length > 0
            ? [
                {
                  stream: catalogStream(tenantId),
                  events: guard,
                  revision: catalog.revision,
                  idSeed: `guard:${operationId}`,
                },
              ]
            : []),
          {
            stream: membersStream(tenantId, input.tagId),
            events,
            revision: loaded.revision,
            answer: true,
            ...(input.idSeed ? { idSeed: input.idSeed } : {}),
          },
        ],
      };
    });
  }

  /**
   * A second person approves: the catalogue records it (and executes a delete in the same append);
   * a membership change (or a feature's operation, e.g. a restore) then runs with ids derived from the
   * approval, so approving again after a crash completes it exactly once.
   */
  async approve(context: CommandContext, approvalId: string): Promise<NodeResult> {
    const tenantId = context.principal.tenantId;
    const request = { approve: approvalId };
    const before = await this.catalog(tenantId);
    const previous = this.answered<NodeResult>(before, context, request);
    const current = before.state.approvals.get(approvalId);
    let granted: NodeResult | undefined = previous;
    if (!previous && current?.status !== 'granted') {
      granted = await this.onCatalog(
        context,
        request,
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
    } else if (!previous && context.idempotencyKey && context.callerKey) {
      // Already granted: nothing to append, but the key is still bound to this approval.
      await this.write<Omit<NodeResult, 'consistencyToken'>>(context, request, async () => ({
        result: { nodeId: approvalId, revision: 0 },
        appends: [],
      }));
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
    const approver: CommandContext = { ...context, idempotencyKey: undefined, callerKey: false };
    const executor = this.executors.get(op.type);
    if (executor) {
      const executed = await executor(approver, approval);
      return { ...executed, consistencyToken: executed.consistencyToken || granted?.consistencyToken || '' };
    }
    if (op.type !== 'add_members' && op.type !== 'remove_members')
      throw new TagError('TAG.FAILED_PRECONDITION', `no executor for ${op.type}`, 'approval_id');
    // Executed as the requester's change, approved by this caller.
    const requester: CommandContext = {
      ...approver,
      principal: { ...context.principal, actorId: approval.requestedBy },
    };
    const executed = await this.onMembers(requester, {
      change: op.type,
      tagId: op.tagId,
      members: op.members,
      ...(op.type === 'add_members' && op.attributes ? { attributes: op.attributes } : {}),
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

  /** A command on a short stream of its own (a follow-up task): the same write path. */
  onStream<S, E extends { type: string; data: unknown }>(
    context: CommandContext,
    request: unknown,
    stream: string,
    fold: Fold<S, E>,
    decide: (state: S, now: Date) => E[],
  ): Promise<{ consistencyToken: string }> {
    return this.write<object>(context, request, async ({ now }) => {
      const loaded = await this.load(stream, fold);
      const previous = this.answered<object>(loaded, context, request);
      if (previous) return { answered: previous };
      const events = decide(loaded.state, now);
      return {
        result: {},
        appends: events.length ? [{ stream, events, revision: loaded.revision, answer: true }] : [],
      };
    });
  }

  /** A new stream written once by a process (ids from `idSeed`: a redelivery is the same append). */
  async create(
    context: CommandContext,
    stream: string,
    events: { type: string; data: unknown }[],
    idSeed: string,
  ): Promise<void> {
    await append(this.store, stream, events, 'no_stream', context, this.clock(), { idSeed });
  }

  /** Cached state + new events; cold: the latest write-side snapshot + the events after it. */
  private async load<S, E>(stream: string, fold: Fold<S, E>, from?: Loaded<S>): Promise<Loaded<S>> {
    const { snapshots } = this;
    const codec = snapshots ? fold.codec : undefined;
    let start = from;
    if (!start && codec) {
      // Snapshots are derived: an unreadable one means "replay from the start".
      const snapshot = await snapshots!.latest(writeSnapshotId(stream)).catch(() => undefined);
      if (snapshot) start = decodeLoaded(snapshot, codec.decode);
    }
    const loaded = await loadStream(this.store, stream, fold, start);
    // Expired answers are ignored on lookup (`answered`); dropping them is only for memory and snapshots.
    if (!from) pruneAnswers(loaded.answers, this.clock());
    if (
      codec &&
      loaded.revision !== undefined &&
      loaded.position &&
      loaded.revision - (loaded.snapshotRevision ?? -1n) >= WRITE_SNAPSHOT_EVERY
    ) {
      pruneAnswers(loaded.answers, this.clock());
      // The answers as of this revision (the map keeps growing with later loads); states are immutable.
      const at = { ...loaded, answers: new Map(loaded.answers) };
      const recordedAt = loaded.recordedAt ?? this.clock();
      loaded.snapshotRevision = loaded.revision;
      // Off the write's path (D40): encoded and saved after this write has answered, since encoding a
      // 10,000-tag catalogue (≈3 MB of JSON) took the event loop for tens of ms. A snapshot only shortens
      // later loads; a lost one means a longer load.
      setImmediate(() => {
        void Promise.resolve()
          .then(async () => {
            const snapshot = {
              streamId: writeSnapshotId(stream),
              revision: at.revision!,
              position: at.position!,
              recordedAt,
              state: encodeLoaded(at, codec.encode),
            };
            await snapshots!.save(snapshot);
            await snapshots!.deleteBefore?.(snapshot.streamId, snapshot.revision);
          })
          .catch(this.onSnapshotError);
      });
    }
    return loaded;
  }

  private base(context: CommandContext, now: Date): { actor: Actor; now: string } {
    const p = context.principal;
    return {
      actor: { actorId: p.actorId, roles: p.roles, departmentId: p.departmentId ?? null },
      now: now.toISOString(),
    };
  }
}

/** The key, and which use of it: ids derived from a key reused after its window must differ from the first. */
export function keyUse(context: CommandContext, claim?: KeyClaim): string {
  const key = context.idempotencyKey ?? '';
  return claim && claim.generation !== '0' ? `${key}#${claim.generation}` : key;
}

function subjectOfApproval(events: TagCatalogEvent[], approvalId: string): string {
  const binned = events.find((e) => e.type === 'NodesBinned');
  return binned ? binned.data.rootId : approvalId;
}
