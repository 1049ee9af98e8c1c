import { subtreeOf, type TagCatalogState } from '../domain/tag-catalog.state';
import { TagError } from '../domain/tag.errors';
import type { TagReader } from './tag-authorizer.port';

/**
 * A write that takes a whole subtree along (delete to the bin, restore from it) is refused when the subtree
 * holds a tag the caller may not see: nobody bins what they cannot see. The refusal names none of them (D54).
 */
export function assertSeesSubtree(reader: TagReader, state: TagCatalogState, rootId: string): void {
  if (subtreeOf(state, rootId).some((n) => !reader.see(n.nodeId)))
    throw new TagError(
      'TAG.PERMISSION_DENIED',
      'the subtree holds tags you may not see: ask someone who may see all of it',
    );
}
