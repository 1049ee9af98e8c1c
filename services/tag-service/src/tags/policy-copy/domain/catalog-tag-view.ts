import type { TagFacts, TagView } from '@tagguard/permission-engine';
import type { TagCatalogState, TagNode } from '../../domain/tag-catalog.state';

// Nodes are immutable (evolve replaces a node it changes), so a node's facts can be kept beside it.
const facts = new WeakMap<TagNode, TagFacts>();

export function tagFacts(node: TagNode): TagFacts {
  let f = facts.get(node);
  if (!f) {
    const v = node.visibility;
    f = {
      tagId: node.nodeId,
      kind: node.kind,
      isGroup: node.nodeType === 'group',
      parentId: node.parentId,
      visibility: {
        restricted: v.scope === 'restricted',
        departments: v.departments,
        roles: v.roles,
        memberIds: v.members,
      },
      sensitive: node.sensitive,
    };
    facts.set(node, f);
  }
  return f;
}

/**
 * The engine's TagView over tag-service's own catalogue state (the write side's, already in memory): no
 * second copy of the catalogue. `extra` adds facts the catalogue does not hold yet (a tag being
 * created, the tenant-wide resource).
 */
export function catalogTagView(state: TagCatalogState, extra: readonly TagFacts[] = []): TagView {
  const added = new Map(extra.map((f) => [f.tagId, f]));
  return {
    tag: (tagId) => {
      const a = added.get(tagId);
      if (a) return a;
      // Purged tags keep their facts: an as-of view of one is still decided by its visibility.
      const node = state.nodes.get(tagId);
      return node ? tagFacts(node) : undefined;
    },
  };
}
