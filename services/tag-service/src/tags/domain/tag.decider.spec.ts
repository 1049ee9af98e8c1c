import { given } from '@tagguard/testing';
import { decide, type TagCommand } from './tag.decider';
import type { TagEvent } from './tag.events';
import { evolve, initialTagState } from './tag.state';

const spec = given<TagCommand, TagEvent>({ decide, evolve, initialState: initialTagState });
const created: TagEvent = {
  type: 'TagCreated',
  data: { tenantId: 't1', tagId: 'tag-1', name: 'VIP客户', kind: 'customer' },
};

describe('tag decider', () => {
  it('creates a tag with its name trimmed', () => {
    spec([])
      .when({
        type: 'CreateTag',
        data: { tenantId: 't1', tagId: 'tag-1', name: '  VIP客户 ', kind: 'customer' },
      })
      .then([created]);
  });

  it('refuses to create a tag twice', () => {
    spec([created])
      .when({ type: 'CreateTag', data: { tenantId: 't1', tagId: 'tag-1', name: 'x', kind: 'customer' } })
      .thenThrows({ code: 'TAG.ALREADY_EXISTS', field: 'tag_id' });
  });

  it.each([
    ['', 'must not be empty'],
    ['   ', 'must not be empty'],
    ['标'.repeat(33), 'must be at most 32 characters'],
  ])('refuses the name %j naming the field', (name, message) => {
    spec([])
      .when({ type: 'CreateTag', data: { tenantId: 't1', tagId: 'tag-1', name, kind: 'member' } })
      .thenThrows({ code: 'TAG.INVALID_ARGUMENT', field: 'name', message });
  });

  it('accepts a 32-character Chinese name', () => {
    spec([])
      .when({
        type: 'CreateTag',
        data: { tenantId: 't1', tagId: 'tag-1', name: '标'.repeat(32), kind: 'member' },
      })
      .then([
        {
          type: 'TagCreated',
          data: { tenantId: 't1', tagId: 'tag-1', name: '标'.repeat(32), kind: 'member' },
        },
      ]);
  });

  it('renames, remembering the previous name', () => {
    spec([created])
      .when({ type: 'RenameTag', data: { tagId: 'tag-1', name: '意向客户' } })
      .then([{ type: 'TagRenamed', data: { tagId: 'tag-1', name: '意向客户', previousName: 'VIP客户' } }]);
  });

  it('treats a rename to the same name as nothing to do', () => {
    spec([created])
      .when({ type: 'RenameTag', data: { tagId: 'tag-1', name: 'VIP客户' } })
      .then([]);
  });

  it('deletes, and then refuses to rename or delete again', () => {
    const deleted: TagEvent = { type: 'TagDeleted', data: { tagId: 'tag-1', name: 'VIP客户' } };
    spec([created])
      .when({ type: 'DeleteTag', data: { tagId: 'tag-1' } })
      .then([deleted]);
    spec([created, deleted])
      .when({ type: 'DeleteTag', data: { tagId: 'tag-1' } })
      .thenThrows({ code: 'TAG.ALREADY_DELETED' });
    spec([created, deleted])
      .when({ type: 'RenameTag', data: { tagId: 'tag-1', name: 'x' } })
      .thenThrows({ code: 'TAG.ALREADY_DELETED' });
  });

  it('refuses to change a tag that does not exist', () => {
    spec([])
      .when({ type: 'RenameTag', data: { tagId: 'tag-9', name: 'x' } })
      .thenThrows({ code: 'TAG.NOT_FOUND', field: 'tag_id' });
  });
});
