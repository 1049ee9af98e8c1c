import { TagError } from './tag.errors';
import type { TagEvent, TagKind } from './tag.events';
import { MAX_TAG_NAME_LENGTH } from './tag-name';
import type { TagState } from './tag.state';

export type TagCommand =
  | { type: 'CreateTag'; data: { tenantId: string; tagId: string; name: string; kind: TagKind } }
  | { type: 'RenameTag'; data: { tagId: string; name: string } }
  | { type: 'DeleteTag'; data: { tagId: string } };

export function decide(command: TagCommand, state: TagState): TagEvent[] {
  switch (command.type) {
    case 'CreateTag': {
      if (state.status !== 'absent')
        throw new TagError('TAG.ALREADY_EXISTS', `tag ${command.data.tagId} already exists`, 'tag_id');
      return [{ type: 'TagCreated', data: { ...command.data, name: validName(command.data.name) } }];
    }
    case 'RenameTag': {
      const tag = existing(state, command.data.tagId);
      const name = validName(command.data.name);
      if (name === tag.name) return [];
      return [{ type: 'TagRenamed', data: { tagId: tag.tagId, name, previousName: tag.name } }];
    }
    case 'DeleteTag': {
      const tag = existing(state, command.data.tagId);
      return [{ type: 'TagDeleted', data: { tagId: tag.tagId, name: tag.name } }];
    }
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}

function existing(state: TagState, tagId: string): Exclude<TagState, { status: 'absent' }> {
  if (state.status === 'absent') throw new TagError('TAG.NOT_FOUND', `tag ${tagId} not found`, 'tag_id');
  if (state.status === 'deleted')
    throw new TagError('TAG.ALREADY_DELETED', `tag ${tagId} is deleted`, 'tag_id');
  return state;
}

function validName(raw: string): string {
  const name = raw.normalize('NFC').trim();
  if (!name) throw new TagError('TAG.INVALID_ARGUMENT', 'must not be empty', 'name');
  if ([...name].length > MAX_TAG_NAME_LENGTH) {
    throw new TagError('TAG.INVALID_ARGUMENT', `must be at most ${MAX_TAG_NAME_LENGTH} characters`, 'name');
  }
  return name;
}
