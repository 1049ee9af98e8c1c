import { classify, describeAffected } from './sensitive-operations';
import type {
  AffectedTag,
  MemberRef,
  RestoredNode,
  RestoreMoment,
  SensitivityLevel,
  TagCatalogEvent,
} from './tag-catalog.events';
import {
  depthOf,
  evolveCatalog,
  siblingNamed,
  subtreeOf,
  type TagCatalogState,
  type TagNode,
} from './tag-catalog.state';
import { MAX_DEPTH } from './tag-catalog.decider';
import { TagError } from './tag.errors';

/** A tenant's tags as of one moment: the catalogue, and the members of the tags that matter. */
export interface TreeView {
  catalog: TagCatalogState;
  /** tagId → members (`<kind>:<id>` → member). */
  members: Map<string, Map<string, MemberRef>>;
}

export type Change =
  | { change: 'created' | 'deleted' | 'restored'; nodeId: string; name: string }
  | { change: 'renamed'; nodeId: string; name: string; previousName: string }
  | {
      change: 'moved';
      nodeId: string;
      name: string;
      parentId: string | null;
      previousParentId: string | null;
    }
  | { change: 'configured'; nodeId: string; name: string; fields: string[] }
  | { change: 'members_added' | 'members_removed'; nodeId: string; name: string; members: MemberRef[] };

const isActive = (n: TagNode | undefined): boolean => n?.status === 'active';
const CONFIG_FIELDS = ['order', 'description', 'visibility', 'sensitive', 'protected'] as const;

/** The nodes a scope covers, then or now: a node and its subtree in either state, or the whole tenant. */
export function scopeOf(then: TagCatalogState, now: TagCatalogState, rootId: string | null): string[] {
  if (rootId === null) return [...new Set([...then.nodes.keys(), ...now.nodes.keys()])];
  const ids = new Set([...subtreeOf(then, rootId), ...subtreeOf(now, rootId)].map((n) => n.nodeId));
  if (ids.size === 0) throw new TagError('TAG.NOT_FOUND', `tag ${rootId} not found`, 'tag_id');
  return [...ids];
}

/** What changed from `before` to `after` within the scope, parents before children. */
export function diffTrees(before: TreeView, after: TreeView, ids: string[]): Change[] {
  const changes: Change[] = [];
  for (const id of byDepth(after.catalog, before.catalog, ids)) {
    const a = before.catalog.nodes.get(id);
    const b = after.catalog.nodes.get(id);
    const name = (b ?? a)!.name;
    if (!isActive(a) && isActive(b)) changes.push({ change: a ? 'restored' : 'created', nodeId: id, name });
    else if (isActive(a) && !isActive(b)) changes.push({ change: 'deleted', nodeId: id, name });
    else if (a && b && isActive(a) && isActive(b)) {
      if (a.name !== b.name)
        changes.push({ change: 'renamed', nodeId: id, name: b.name, previousName: a.name });
      if (a.parentId !== b.parentId)
        changes.push({
          change: 'moved',
          nodeId: id,
          name,
          parentId: b.parentId,
          previousParentId: a.parentId,
        });
      const fields = CONFIG_FIELDS.filter((f) => JSON.stringify(a[f]) !== JSON.stringify(b[f]));
      if (fields.length) changes.push({ change: 'configured', nodeId: id, name, fields: [...fields] });
    }
    if ((a ?? b)!.nodeType !== 'tag') continue;
    // A tag in only one view and live in neither (created and binned in between, purged then and gone
    // since) has nothing to compare its members with; a binned tag in both still says how they changed.
    if (!isActive(a) && !isActive(b) && !(a && b)) continue;
    const was = before.members.get(id) ?? new Map<string, MemberRef>();
    const is = after.members.get(id) ?? new Map<string, MemberRef>();
    const added = [...is].filter(([k]) => !was.has(k)).map(([, m]) => m);
    const removed = [...was].filter(([k]) => !is.has(k)).map(([, m]) => m);
    if (added.length)
      changes.push({ change: 'members_added', nodeId: id, name, members: sortMembers(added) });
    if (removed.length)
      changes.push({ change: 'members_removed', nodeId: id, name, members: sortMembers(removed) });
  }
  return changes;
}

export interface RestorePlan {
  catalog: TagCatalogEvent[];
  members: { tagId: string; add: MemberRef[]; remove: MemberRef[] }[];
  /** Nodes the restore brings back from a purge: only an authorized role may. */
  unpurged: string[];
  /** The same plan as a diff from now to the result, for the dry run and the report. */
  changes: Change[];
}

/**
 * The compensating events that bring the scope from `current` back to `target` (its state at `asOf`):
 * nodes reset to their configuration then (created again if purged since), nodes that did not exist
 * then binned (recoverable), members added and removed to match. Refused, naming the node, when the
 * result would break the catalogue's rules (a parent deleted outside the scope, a name taken since).
 */
export function planRestore(
  current: TreeView,
  target: TreeView,
  ids: string[],
  context: { restoreId: string; asOf: string; actorId: string; now: string },
): RestorePlan {
  const events: TagCatalogEvent[] = [];
  const unpurged: string[] = [];
  const retentionMs = current.catalog.policy.retentionHours * 3_600_000;
  for (const id of byDepth(target.catalog, current.catalog, ids)) {
    const now = current.catalog.nodes.get(id);
    const then = target.catalog.nodes.get(id);
    const restored = (
      node: TagNode,
      status: 'active' | 'binned',
      bin: TagNode['bin'] | null,
    ): TagCatalogEvent => ({
      type: 'NodeStateRestored',
      data: {
        restoreId: context.restoreId,
        asOf: context.asOf,
        node: configOf(node),
        status,
        bin: bin ?? null,
      },
    });
    if (then && isActive(then)) {
      if (now?.status === 'purged') unpurged.push(id);
      if (!now || !isActive(now) || JSON.stringify(configOf(now)) !== JSON.stringify(configOf(then)))
        events.push(restored(then, 'active', null));
    } else if (now && isActive(now)) {
      // Absent or deleted then: deleted again, recoverably (a node binned then keeps that bin entry).
      const bin =
        then?.status === 'binned' && then.bin
          ? then.bin
          : {
              rootId: id,
              deletedBy: context.actorId,
              deletedAt: context.now,
              purgeDueAt: new Date(Date.parse(context.now) + retentionMs).toISOString(),
            };
      events.push(restored(now, 'binned', bin));
    }
  }
  const result = events.reduce(evolveCatalog, current.catalog);
  for (const e of events) {
    if (e.type !== 'NodeStateRestored' || e.data.status !== 'active') continue;
    const { nodeId, parentId, name } = e.data.node;
    if (parentId !== null && !isActive(result.nodes.get(parentId)))
      throw new TagError(
        'TAG.FAILED_PRECONDITION',
        `tag ${nodeId}: its parent ${parentId} is deleted now; restore a scope that includes it`,
        'tag_id',
      );
    const clash = siblingNamed(result, parentId, name, nodeId);
    if (clash)
      throw new TagError(
        'TAG.ALREADY_EXISTS',
        `tag ${nodeId}: "${name}" is taken by ${clash.nodeId} since then`,
        'tag_id',
      );
    if (depthOf(result, nodeId) > MAX_DEPTH)
      throw new TagError(
        'TAG.FAILED_PRECONDITION',
        `tag ${nodeId} would nest deeper than ${MAX_DEPTH} levels`,
        'tag_id',
      );
  }
  const members: RestorePlan['members'] = [];
  for (const id of ids) {
    const node = result.nodes.get(id);
    if (!node || !isActive(node) || node.nodeType !== 'tag') continue;
    const want = target.members.get(id) ?? new Map<string, MemberRef>();
    const have = current.members.get(id) ?? new Map<string, MemberRef>();
    const add = sortMembers([...want].filter(([k]) => !have.has(k)).map(([, m]) => m));
    const remove = sortMembers([...have].filter(([k]) => !want.has(k)).map(([, m]) => m));
    if (add.length || remove.length) members.push({ tagId: id, add, remove });
  }
  const after: TreeView = { catalog: result, members: new Map(current.members) };
  for (const m of members) after.members.set(m.tagId, new Map(target.members.get(m.tagId) ?? []));
  return { catalog: events, members, unpurged, changes: diffTrees(current, after, ids) };
}

/** How loudly the graduated policy reports a restore, and what it counts. */
export interface RestoreGrade {
  level: SensitivityLevel;
  /** Per tag: members the restore removes, or all of its members when it bins the tag. */
  affected: AffectedTag[];
  totalMembers: number;
}

/**
 * A restore is graded like any other change: the members it takes away (removed from a tag, or carried
 * into the recycle bin with a tag it deletes again) against the tenant's thresholds. Members it adds
 * back are not counted: putting back is what a restore is for.
 */
export function gradeRestore(plan: RestorePlan, current: TreeView): RestoreGrade {
  const counts = new Map<string, number>();
  const add = (tagId: string, n: number) => n > 0 && counts.set(tagId, (counts.get(tagId) ?? 0) + n);
  for (const e of plan.catalog)
    if (e.type === 'NodeStateRestored' && e.data.status === 'binned' && e.data.node.nodeType === 'tag')
      if (isActive(current.catalog.nodes.get(e.data.node.nodeId)))
        add(e.data.node.nodeId, current.members.get(e.data.node.nodeId)?.size ?? 0);
  for (const m of plan.members) add(m.tagId, m.remove.length);
  const affected = [...counts].map(([tagId, memberCount]) => ({
    tagId,
    name: current.catalog.nodes.get(tagId)?.name ?? tagId,
    memberCount,
  }));
  const totalMembers = affected.reduce((n, t) => n + t.memberCount, 0);
  return { level: classify(totalMembers, current.catalog.policy), affected, totalMembers };
}

export interface RestoreRequest {
  restoreId: string;
  rootId: string | null;
  asOf: RestoreMoment;
  /** The moment as written in the events ("2030-01-01T00:00:00.000Z" or "<commit>/<prepare>"). */
  asOfLabel: string;
  actor: { actorId: string; departmentId: string | null };
  /** The requester's token roles, kept in a requested approval (D84). */
  actorRoles?: readonly string[];
  now: string;
  /** Set when a second person approved this restore: it runs now, reported with the approver. */
  approvedBy: string | null;
  approvalId: string;
  mayUnpurge: boolean;
  /** With approvedBy: the members the approved request would take away; a bigger restore needs a new one. */
  approvedMembers?: number;
}

/**
 * The events of a restore: a critical one (not yet approved) only asks for a second person's approval;
 * otherwise RestoreApplied, the compensating catalogue events, and, at warning or above, the sensitive
 * operation (notified to HQ audit and security when critical). Nobody is frozen: a critical restore
 * never runs without the second person.
 */
export function decideRestore(
  plan: RestorePlan,
  grade: RestoreGrade,
  request: RestoreRequest,
  approvalTtlHours: number,
): TagCatalogEvent[] {
  const { restoreId, actor, now, approvedBy } = request;
  if (approvedBy && request.approvedMembers !== undefined && grade.totalMembers > request.approvedMembers)
    throw new TagError(
      'TAG.FAILED_PRECONDITION',
      `the restore now takes ${grade.totalMembers} members, the approval was for ${request.approvedMembers}: request it again`,
      'approval_id',
    );
  if (grade.level === 'critical' && !approvedBy)
    return [
      {
        type: 'ApprovalRequested',
        data: {
          approvalId: request.approvalId,
          operation: {
            type: 'restore',
            tagId: request.rootId ?? '',
            members: [],
            asOf: request.asOf,
            restoreId,
            mayUnpurge: request.mayUnpurge,
            totalMembers: grade.totalMembers,
            ...(request.actorRoles ? { requesterRoles: [...request.actorRoles] } : {}),
          },
          requestedBy: actor.actorId,
          requestedByDepartment: actor.departmentId,
          requestedAt: now,
          expiresAt: new Date(Date.parse(now) + approvalTtlHours * 3_600_000).toISOString(),
        },
      },
    ];
  const events: TagCatalogEvent[] = [
    {
      type: 'RestoreApplied',
      data: {
        restoreId,
        rootId: request.rootId,
        asOf: request.asOfLabel,
        level: grade.level,
        approvedBy,
        changes: plan.changes.length,
      },
    },
    ...plan.catalog,
  ];
  if (grade.level === 'none') return events;
  const beforeState = `a restore to ${request.asOfLabel} taking ${describeAffected(grade.affected)}`;
  events.push({
    type: 'SensitiveOperationDetected',
    data: {
      operationId: restoreId,
      level: grade.level,
      operation: 'restore',
      actorId: actor.actorId,
      actorDepartment: actor.departmentId,
      affected: grade.affected,
      totalMembers: grade.totalMembers,
      beforeState,
      approvedBy,
    },
  });
  if (grade.level === 'critical')
    for (const channel of ['hq_audit', 'security_officer'] as const)
      events.push({
        type: 'NotificationRequested',
        data: {
          notificationId: `${restoreId}:${channel}`,
          channel,
          operationId: restoreId,
          level: grade.level,
          summary: `${actor.actorId}${actor.departmentId ? ` (${actor.departmentId})` : ''} ran ${beforeState}, approved by ${approvedBy}`,
        },
      });
  return events;
}

function configOf(n: TagNode): RestoredNode {
  return {
    nodeId: n.nodeId,
    nodeType: n.nodeType,
    kind: n.kind,
    name: n.name,
    parentId: n.parentId,
    order: n.order,
    description: n.description,
    visibility: n.visibility,
    sensitive: n.sensitive,
    protected: n.protected,
  };
}

function byDepth(a: TagCatalogState, b: TagCatalogState, ids: string[]): string[] {
  const depth = (id: string) => (a.nodes.has(id) ? depthOf(a, id) : depthOf(b, id));
  return [...ids].sort((x, y) => depth(x) - depth(y) || x.localeCompare(y));
}

function sortMembers(members: MemberRef[]): MemberRef[] {
  return members.sort((x, y) => x.kind.localeCompare(y.kind) || x.id.localeCompare(y.id));
}
