import type { Principal } from '@tagguard/auth';
import type { NodeType, TagKind } from '../domain/tag-catalog.events';

/** What a caller wants to do; the engine-backed authorizer maps it, per tag kind, to the engine's actions. */
export type TagAction =
  | 'catalog.write'
  | 'catalog.read'
  | 'members.write'
  | 'members.read'
  | 'governance.write'
  | 'approval.decide'
  | 'tasks.write'
  /** Rebuild every tenant's read models (a platform operation). */
  | 'readmodels.rebuild';

/** The tag a call is about: an existing one, or one being created (not in the catalogue yet). */
export type TagTarget =
  | { tagId: string; field?: string }
  | { create: { tagId: string; kind: TagKind; nodeType: NodeType; parentId: string | null } };

/** What a caller may see of one tag: the fields to mask (the engine's maskedFields). */
export interface TagSight {
  maskedFields: readonly string[];
}

/** One call's view of the tenant's tags, decided on one policy snapshot. */
export interface TagReader {
  /** undefined: the caller may not see the tag, and the answer must be as if it did not exist. */
  see(tagId: string): TagSight | undefined;
}

/**
 * The port tag-service asks before every call, in one place (the edge). `authorize` resolves, or throws
 * TAG.PERMISSION_DENIED (a write the caller may not do) or TAG.NOT_FOUND (a tag the caller may not see,
 * answered like an absent one). `reader` filters what a read returns.
 */
export interface TagAuthorizer {
  authorize(principal: Principal, action: TagAction, target?: TagTarget): Promise<void>;
  reader(principal: Principal): Promise<TagReader>;
}

export const TAG_AUTHORIZER = Symbol('TAG_AUTHORIZER');
