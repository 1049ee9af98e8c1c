import fc from 'fast-check';
import type { TagMembersEvent } from '../domain/tag-members';
import { MEMBERS } from './tag-commands';

describe('the write side members fold', () => {
  it('property: evolving a whole tail at once (one map copy) gives the state evolving each event gives, and leaves the state it started from as it was', () => {
    const member = fc.record({
      kind: fc.constantFrom('customer', 'employee'),
      id: fc.constantFrom('a', 'b', 'c', 'd'),
    });
    const event = fc.record({ added: fc.boolean(), members: fc.array(member, { maxLength: 4 }) }).map(
      ({ added, members }) =>
        ({
          type: added ? 'MembersAdded' : 'MembersRemoved',
          data: { tagId: 't', members, actorRoles: [], source: 'api' },
        }) as unknown as TagMembersEvent,
    );
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 10 }),
        fc.array(event, { minLength: 1, maxLength: 20 }),
        (before, tail) => {
          const start = before.reduce(MEMBERS.evolve, MEMBERS.initial());
          const kept = [...start.members];
          const one = tail.reduce(MEMBERS.evolve, start);
          const all = MEMBERS.evolveAll!(start, tail);
          expect([...all.members]).toEqual([...one.members]);
          expect([...start.members]).toEqual(kept);
        },
      ),
    );
  });
});
