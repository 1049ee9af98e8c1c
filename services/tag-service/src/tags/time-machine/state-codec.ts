import type { MemberRef } from '../domain/tag-catalog.events';
import { withNodes, type TagCatalogState, type TagNode } from '../domain/tag-catalog.state';
import type { TagMembersState } from '../domain/tag-members';

// Aggregate states hold Maps; snapshots are JSON. The one place that converts both ways.

export function encodeCatalog(state: TagCatalogState): unknown {
  return {
    nodes: [...state.nodes.values()],
    policy: state.policy,
    frozen: [...state.frozen],
    approvals: [...state.approvals.values()],
    automations: [...state.automations.values()],
    revertRules: [...state.revertRules.values()],
  };
}

export function decodeCatalog(json: unknown): TagCatalogState {
  const j = json as {
    nodes: { nodeId: string }[];
    policy: TagCatalogState['policy'];
    frozen: [string, string][];
    approvals: { approvalId: string }[];
    automations: { ruleId: string }[];
    revertRules: { ruleId: string }[];
  };
  return withNodes(
    {
      policy: j.policy,
      frozen: new Map(j.frozen),
      approvals: new Map(j.approvals.map((a) => [a.approvalId, a])) as TagCatalogState['approvals'],
      automations: new Map(j.automations.map((a) => [a.ruleId, a])) as TagCatalogState['automations'],
      revertRules: new Map(j.revertRules.map((r) => [r.ruleId, r])) as TagCatalogState['revertRules'],
    },
    j.nodes as TagNode[],
  );
}

export const encodeMembers = (state: TagMembersState): unknown => [...state.members.values()];

export function decodeMembers(json: unknown): TagMembersState {
  return { members: new Map((json as MemberRef[]).map((m) => [`${m.kind}:${m.id}`, m])) };
}
