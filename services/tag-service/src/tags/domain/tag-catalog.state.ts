import {
  DEFAULT_POLICY,
  VISIBLE_TO_EVERYONE,
  type AutomationRule,
  type GuardedOperation,
  type NodeType,
  type RevertRule,
  type SensitivePolicy,
  type TagCatalogEvent,
  type TagKind,
  type Visibility,
} from './tag-catalog.events';
import { PersistentMap } from './persistent-map';
import { normalizeTagName } from './tag-name';

export interface TagNode {
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
  status: 'active' | 'binned' | 'purged';
  /** Events that touched this node: what a caller's expected_revision is compared with. */
  revision: number;
  /** Set while binned: the subtree root it went to the bin with, and when it may be purged. */
  bin?: { rootId: string; deletedBy: string; deletedAt: string; purgeDueAt: string };
}

export interface Approval {
  approvalId: string;
  operation: GuardedOperation;
  requestedBy: string;
  requestedByDepartment: string | null;
  requestedAt: string;
  expiresAt: string;
  status: 'pending' | 'granted' | 'rejected' | 'expired';
  decidedBy?: string;
}

export interface TagCatalogState {
  /** In creation order; structurally shared between a state and the next (see PersistentMap). */
  nodes: PersistentMap<string, TagNode>;
  /**
   * Derived from `nodes`, kept so a name check costs O(1), not O(tags): `siblingKey` (parent and
   * normalized name) → the nodes with that name under that parent, any status. Not in snapshots.
   */
  names: PersistentMap<string, readonly string[]>;
  policy: SensitivePolicy;
  /** actorId → the operation that froze them. */
  frozen: Map<string, string>;
  approvals: Map<string, Approval>;
  automations: Map<string, AutomationRule>;
  revertRules: Map<string, RevertRule>;
}

export function initialCatalogState(): TagCatalogState {
  return {
    nodes: PersistentMap.empty(),
    names: PersistentMap.empty(),
    policy: DEFAULT_POLICY,
    frozen: new Map(),
    approvals: new Map(),
    automations: new Map(),
    revertRules: new Map(),
  };
}

/** The state with `nodes` (and the name index derived from them) built from these nodes, in order. */
export function withNodes(
  state: Omit<TagCatalogState, 'nodes' | 'names'>,
  nodes: Iterable<TagNode>,
): TagCatalogState {
  const map = PersistentMap.from([...nodes].map((n) => [n.nodeId, n] as const));
  const byKey = new Map<string, string[]>();
  for (const n of map.values()) {
    const key = siblingKey(n.parentId, n.name);
    byKey.set(key, [...(byKey.get(key) ?? []), n.nodeId]);
  }
  return { ...state, nodes: map, names: PersistentMap.from(byKey) };
}

const siblingKey = (parentId: string | null, name: string): string =>
  `${parentId ?? ''}\u0000${normalizeTagName(name)}`;

/** Sets a node, keeping the name index true (only when its parent or name changed). */
function putNode(state: TagCatalogState, node: TagNode): TagCatalogState {
  const previous = state.nodes.get(node.nodeId);
  const nodes = state.nodes.set(node.nodeId, node);
  if (previous && previous.parentId === node.parentId && previous.name === node.name)
    return { ...state, nodes };
  let names = state.names;
  if (previous) {
    const key = siblingKey(previous.parentId, previous.name);
    names = names.set(
      key,
      (names.get(key) ?? []).filter((id) => id !== node.nodeId),
    );
  }
  const key = siblingKey(node.parentId, node.name);
  const ids = (names.get(key) ?? []).filter((id) => id !== node.nodeId);
  return { ...state, nodes, names: names.set(key, [...ids, node.nodeId]) };
}

// Evolve never changes a state it is given: a state handed out (e.g. cached) never changes under its
// holder. Maps are copied when changed, except `nodes` and `names`, which share structure (O(1)-ish).
export function evolveCatalog(state: TagCatalogState, event: TagCatalogEvent): TagCatalogState {
  const touch = (nodeId: string, change: Partial<TagNode>): TagCatalogState => {
    const node = state.nodes.get(nodeId);
    if (!node) return state;
    return putNode(state, { ...node, ...change, revision: node.revision + 1 });
  };
  const touchAll = (nodeIds: string[], change: (n: TagNode) => Partial<TagNode>): TagCatalogState => {
    let next = state;
    for (const id of nodeIds) {
      const node = next.nodes.get(id);
      if (node) next = putNode(next, { ...node, ...change(node), revision: node.revision + 1 });
    }
    return next === state ? { ...state } : next;
  };
  switch (event.type) {
    case 'NodeCreated':
      return putNode(state, {
        ...event.data,
        visibility: VISIBLE_TO_EVERYONE,
        sensitive: false,
        protected: false,
        status: 'active',
        revision: 0,
      });
    case 'NodeRenamed':
      return touch(event.data.nodeId, { name: event.data.name });
    case 'NodeMoved':
      return touch(event.data.nodeId, { parentId: event.data.parentId, order: event.data.order });
    case 'NodeReordered':
      return touch(event.data.nodeId, { order: event.data.order });
    case 'NodeDescribed':
      return touch(event.data.nodeId, { description: event.data.description });
    case 'VisibilityConfigured':
      return touch(event.data.nodeId, { visibility: event.data.visibility, sensitive: event.data.sensitive });
    case 'ProtectionSet':
      return touch(event.data.nodeId, { protected: event.data.protected });
    case 'NodesBinned': {
      const { rootId, deletedBy, deletedAt, purgeDueAt } = event.data;
      return touchAll(event.data.nodeIds, () => ({
        status: 'binned',
        bin: { rootId, deletedBy, deletedAt, purgeDueAt },
      }));
    }
    case 'NodesRestored':
      return touchAll(event.data.nodeIds, () => ({ status: 'active', bin: undefined }));
    case 'NodesPurged':
      return touchAll(event.data.nodeIds, () => ({ status: 'purged' }));
    case 'NodeStateRestored': {
      const { node, status, bin } = event.data;
      const previous = state.nodes.get(node.nodeId);
      return putNode(state, {
        ...node,
        status,
        revision: previous ? previous.revision + 1 : 0,
        ...(bin ? { bin } : {}),
      });
    }
    case 'SensitiveOperationDetected':
    case 'NotificationRequested':
    case 'RestoreApplied':
    case 'AbnormalChangeReverted':
      return state;
    case 'OperatorFrozen':
      return { ...state, frozen: new Map(state.frozen).set(event.data.actorId, event.data.operationId) };
    case 'OperatorUnfrozen': {
      const frozen = new Map(state.frozen);
      frozen.delete(event.data.actorId);
      return { ...state, frozen };
    }
    case 'PolicyConfigured':
      return { ...state, policy: event.data };
    case 'ApprovalRequested':
      return {
        ...state,
        approvals: new Map(state.approvals).set(event.data.approvalId, { ...event.data, status: 'pending' }),
      };
    case 'ApprovalGranted':
    case 'ApprovalRejected':
    case 'ApprovalExpired': {
      const approval = state.approvals.get(event.data.approvalId);
      if (!approval) return state;
      const status =
        event.type === 'ApprovalGranted'
          ? 'granted'
          : event.type === 'ApprovalRejected'
            ? 'rejected'
            : 'expired';
      const decidedBy = 'by' in event.data ? event.data.by : undefined;
      return {
        ...state,
        approvals: new Map(state.approvals).set(approval.approvalId, {
          ...approval,
          status,
          ...(decidedBy ? { decidedBy } : {}),
        }),
      };
    }
    case 'AutomationRuleDefined':
      return { ...state, automations: new Map(state.automations).set(event.data.ruleId, event.data) };
    case 'AutomationRuleRemoved': {
      const automations = new Map(state.automations);
      automations.delete(event.data.ruleId);
      return { ...state, automations };
    }
    case 'RevertRuleDefined':
      return { ...state, revertRules: new Map(state.revertRules).set(event.data.ruleId, event.data) };
    case 'RevertRuleRemoved': {
      const revertRules = new Map(state.revertRules);
      revertRules.delete(event.data.ruleId);
      return { ...state, revertRules };
    }
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

/** Depth of a node: 1 at the root level. */
export function depthOf(state: TagCatalogState, nodeId: string | null): number {
  let depth = 0;
  for (let id = nodeId; id !== null; id = state.nodes.get(id)?.parentId ?? null) depth++;
  return depth;
}

/** The node and every descendant that is not purged, parents before children. */
export function subtreeOf(state: TagCatalogState, rootId: string): TagNode[] {
  const children = new Map<string, TagNode[]>();
  for (const node of state.nodes.values())
    if (node.parentId !== null && node.status !== 'purged')
      children.set(node.parentId, [...(children.get(node.parentId) ?? []), node]);
  const out: TagNode[] = [];
  const visit = (node: TagNode): void => {
    out.push(node);
    for (const child of children.get(node.nodeId) ?? []) visit(child);
  };
  const root = state.nodes.get(rootId);
  if (root) visit(root);
  return out;
}

/** Levels below a node, itself included (a leaf has height 1). */
export function heightOf(state: TagCatalogState, nodeId: string): number {
  const byParent = new Map<string, string[]>();
  for (const n of state.nodes.values())
    if (n.parentId !== null && n.status !== 'purged')
      byParent.set(n.parentId, [...(byParent.get(n.parentId) ?? []), n.nodeId]);
  const height = (id: string): number => 1 + Math.max(0, ...(byParent.get(id) ?? []).map(height));
  return height(nodeId);
}

/** An active sibling (same parent) whose normalized name equals this one, other than `exceptId`. */
export function siblingNamed(
  state: TagCatalogState,
  parentId: string | null,
  name: string,
  exceptId?: string,
): TagNode | undefined {
  // The first in creation order, as a scan of `nodes` would find it.
  let found: TagNode | undefined;
  for (const id of state.names.get(siblingKey(parentId, name)) ?? []) {
    const node = state.nodes.get(id);
    if (!node || node.status !== 'active' || node.nodeId === exceptId) continue;
    if (!found || state.nodes.indexOf(id)! < state.nodes.indexOf(found.nodeId)!) found = node;
  }
  return found;
}
