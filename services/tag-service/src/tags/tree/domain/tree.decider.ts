import {
  activeNode,
  assertUniqueName,
  writableNode,
  type CommandBase,
  type Guarded,
} from '../../domain/catalog-guards';
import {
  VISIBLE_TO_EVERYONE,
  type NodeType,
  type TagCatalogEvent,
  type TagKind,
  type Visibility,
} from '../../domain/tag-catalog.events';
import { depthOf, heightOf, subtreeOf, type TagCatalogState } from '../../domain/tag-catalog.state';
import { TagError } from '../../domain/tag.errors';
import { MAX_TAG_NAME_LENGTH } from '../../domain/tag-name';

export const MAX_DEPTH = 5;
export const MAX_DESCRIPTION_LENGTH = 500;

export type TreeCommand =
  | {
      type: 'CreateNode';
      data: CommandBase & {
        nodeId: string;
        nodeType: NodeType;
        kind: TagKind;
        name: string;
        parentId: string | null;
        description: string;
        order?: number;
      };
    }
  | { type: 'RenameNode'; data: CommandBase & Guarded & { nodeId: string; name: string } }
  | {
      type: 'MoveNode';
      data: CommandBase & Guarded & { nodeId: string; parentId: string | null; order?: number };
    }
  | { type: 'ReorderNode'; data: CommandBase & Guarded & { nodeId: string; order: number } }
  | { type: 'DescribeNode'; data: CommandBase & Guarded & { nodeId: string; description: string } }
  | {
      type: 'ConfigureVisibility';
      data: CommandBase & Guarded & { nodeId: string; visibility: Visibility; sensitive: boolean };
    }
  | { type: 'SetProtection'; data: CommandBase & Guarded & { nodeId: string; protected: boolean } };

/** The shape of the tree and each node's own settings; a repeat of the current value is a no-op. */
export function decideTree(command: TreeCommand, state: TagCatalogState): TagCatalogEvent[] {
  switch (command.type) {
    case 'CreateNode': {
      const { nodeId, nodeType, kind, parentId, description } = command.data;
      if (state.nodes.has(nodeId))
        throw new TagError('TAG.ALREADY_EXISTS', `node ${nodeId} already exists`, 'tag_id');
      const name = validName(command.data.name);
      if (parentId !== null) {
        const parent = activeNode(state, parentId, 'parent_id');
        if (parent.nodeType === 'tag' && nodeType === 'group')
          throw new TagError('TAG.INVALID_ARGUMENT', 'a tag group cannot sit under a tag', 'parent_id');
        if (parent.kind !== kind)
          throw new TagError('TAG.INVALID_ARGUMENT', `must be ${parent.kind} like its parent`, 'kind');
      }
      if (depthOf(state, parentId) + 1 > MAX_DEPTH)
        throw new TagError('TAG.INVALID_ARGUMENT', `tags nest at most ${MAX_DEPTH} levels deep`, 'parent_id');
      assertUniqueName(state, parentId, name);
      return [
        {
          type: 'NodeCreated',
          data: {
            nodeId,
            nodeType,
            kind,
            name,
            parentId,
            order: command.data.order ?? nextOrder(state, parentId),
            description: validDescription(description),
          },
        },
      ];
    }
    case 'RenameNode': {
      const node = writableNode(state, command.data.nodeId, command.data.expectedRevision);
      const name = validName(command.data.name);
      if (name === node.name) return [];
      assertUniqueName(state, node.parentId, name, node.nodeId);
      return [{ type: 'NodeRenamed', data: { nodeId: node.nodeId, name, previousName: node.name } }];
    }
    case 'MoveNode': {
      const node = writableNode(state, command.data.nodeId, command.data.expectedRevision);
      const { parentId } = command.data;
      if (parentId === node.parentId) return [];
      if (parentId !== null) {
        const parent = activeNode(state, parentId, 'parent_id');
        if (subtreeOf(state, node.nodeId).some((n) => n.nodeId === parentId))
          throw new TagError(
            'TAG.INVALID_ARGUMENT',
            'cannot move a node under itself or its descendants',
            'parent_id',
          );
        if (parent.nodeType === 'tag' && node.nodeType === 'group')
          throw new TagError('TAG.INVALID_ARGUMENT', 'a tag group cannot sit under a tag', 'parent_id');
        if (parent.kind !== node.kind)
          throw new TagError('TAG.INVALID_ARGUMENT', `parent must be ${node.kind}`, 'parent_id');
      }
      if (depthOf(state, parentId) + heightOf(state, node.nodeId) > MAX_DEPTH)
        throw new TagError(
          'TAG.INVALID_ARGUMENT',
          `the moved subtree would nest deeper than ${MAX_DEPTH} levels`,
          'parent_id',
        );
      assertUniqueName(state, parentId, node.name, node.nodeId);
      return [
        {
          type: 'NodeMoved',
          data: {
            nodeId: node.nodeId,
            parentId,
            previousParentId: node.parentId,
            order: command.data.order ?? nextOrder(state, parentId),
          },
        },
      ];
    }
    case 'ReorderNode': {
      const node = writableNode(state, command.data.nodeId, command.data.expectedRevision);
      if (!Number.isInteger(command.data.order) || command.data.order < 0)
        throw new TagError('TAG.INVALID_ARGUMENT', 'must be a non-negative integer', 'order');
      return command.data.order === node.order
        ? []
        : [{ type: 'NodeReordered', data: { nodeId: node.nodeId, order: command.data.order } }];
    }
    case 'DescribeNode': {
      const node = writableNode(state, command.data.nodeId, command.data.expectedRevision);
      const description = validDescription(command.data.description);
      return description === node.description
        ? []
        : [{ type: 'NodeDescribed', data: { nodeId: node.nodeId, description } }];
    }
    case 'ConfigureVisibility': {
      const node = writableNode(state, command.data.nodeId, command.data.expectedRevision);
      const visibility = validVisibility(command.data.visibility);
      return [
        {
          type: 'VisibilityConfigured',
          data: { nodeId: node.nodeId, visibility, sensitive: command.data.sensitive },
        },
      ];
    }
    case 'SetProtection': {
      const node = writableNode(state, command.data.nodeId, command.data.expectedRevision);
      return node.protected === command.data.protected
        ? []
        : [{ type: 'ProtectionSet', data: { nodeId: node.nodeId, protected: command.data.protected } }];
    }
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}

function nextOrder(state: TagCatalogState, parentId: string | null): number {
  let max = -1;
  // forEach, not an iterator: this is the one scan of every node left on a create (docs/decisions.md D40).
  state.nodes.forEach((n) => {
    if (n.parentId === parentId && n.status === 'active') max = Math.max(max, n.order);
  });
  return max + 1;
}

function validName(raw: string): string {
  const name = raw.normalize('NFC').trim();
  if (!name) throw new TagError('TAG.INVALID_ARGUMENT', 'must not be empty', 'name');
  if ([...name].length > MAX_TAG_NAME_LENGTH)
    throw new TagError('TAG.INVALID_ARGUMENT', `must be at most ${MAX_TAG_NAME_LENGTH} characters`, 'name');
  return name;
}

function validDescription(raw: string): string {
  const description = raw.trim();
  if ([...description].length > MAX_DESCRIPTION_LENGTH)
    throw new TagError(
      'TAG.INVALID_ARGUMENT',
      `must be at most ${MAX_DESCRIPTION_LENGTH} characters`,
      'description',
    );
  return description;
}

function validVisibility(v: Visibility): Visibility {
  if (v.scope === 'everyone') return VISIBLE_TO_EVERYONE;
  if (v.departments.length + v.roles.length + v.members.length === 0)
    throw new TagError(
      'TAG.INVALID_ARGUMENT',
      'a restricted tag must name at least one department, role or member',
      'visibility',
    );
  if (v.departments.some((d) => !d.departmentId))
    throw new TagError('TAG.INVALID_ARGUMENT', 'department ids must not be empty', 'visibility.departments');
  return v;
}
