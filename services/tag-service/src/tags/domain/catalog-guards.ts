import { siblingNamed, type TagCatalogState, type TagNode } from './tag-catalog.state';
import { TagError } from './tag.errors';

/** Who asks and when: part of every command, so that decide stays a pure function. */
export interface Actor {
  actorId: string;
  roles: string[];
  departmentId: string | null;
}

export interface CommandBase {
  actor: Actor;
  /** ISO-8601. */
  now: string;
}

export type Guarded = { expectedRevision?: number };

/** A frozen actor may write nothing but a retry of the very operation that froze them. */
export function assertNotFrozen(data: CommandBase & { operationId?: string }, state: TagCatalogState): void {
  const frozenBy = state.frozen.get(data.actor.actorId);
  if (frozenBy !== undefined && data.operationId !== frozenBy)
    throw new TagError(
      'TAG.OPERATOR_FROZEN',
      `actor ${data.actor.actorId} is frozen after a critical operation; an admin must unfreeze`,
    );
}

/** The node exists and is not in the recycle bin; `field` is the request field that named it. */
export function activeNode(state: TagCatalogState, nodeId: string, field: string): TagNode {
  const node = state.nodes.get(nodeId);
  if (!node || node.status === 'purged')
    throw new TagError('TAG.NOT_FOUND', `tag ${nodeId} not found`, field);
  if (node.status === 'binned')
    throw new TagError('TAG.ALREADY_DELETED', `tag ${nodeId} is in the recycle bin`, field);
  return node;
}

/** An active node at the revision the caller expects, if they named one. */
export function writableNode(
  state: TagCatalogState,
  nodeId: string,
  expectedRevision: number | undefined,
): TagNode {
  const node = activeNode(state, nodeId, 'tag_id');
  if (expectedRevision !== undefined && expectedRevision !== node.revision)
    throw new TagError(
      'TAG.WRONG_EXPECTED_REVISION',
      `tag ${nodeId} is at revision ${node.revision}, not ${expectedRevision}`,
      'expected_revision',
    );
  return node;
}

export function assertUniqueName(
  state: TagCatalogState,
  parentId: string | null,
  name: string,
  exceptId?: string,
): void {
  // The sibling may be a tag the caller cannot see (this decider does not know the caller's sight), so the
  // answer names neither its id nor its spelling: the same words for every caller (D54).
  if (siblingNamed(state, parentId, name, exceptId))
    throw new TagError('TAG.ALREADY_EXISTS', 'a tag with this name already exists here', 'name');
}
