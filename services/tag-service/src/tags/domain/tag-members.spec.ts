import { given } from '@tagguard/testing';
import {
  decideMembers,
  evolveMembers,
  initialMembersState,
  planMembers,
  type TagMembersCommand,
  type TagMembersEvent,
} from './tag-members';

const spec = given<TagMembersCommand, TagMembersEvent, ReturnType<typeof initialMembersState>>({
  decide: decideMembers,
  evolve: evolveMembers,
  initialState: initialMembersState(),
});
const c = (id: string) => ({ kind: 'customer' as const, id });
const add = (
  members: { kind: 'customer' | 'employee' | 'department'; id: string }[],
  tagKind: 'customer' | 'member' = 'customer',
): TagMembersCommand => ({
  type: 'AddMembers',
  data: { tagId: 't1', tagKind, members, actorRoles: ['tenant_admin'], source: 'api' },
});
const added = (...ids: string[]): TagMembersEvent => ({
  type: 'MembersAdded',
  data: { tagId: 't1', members: ids.map(c), actorRoles: ['tenant_admin'], source: 'api' },
});

describe('tag members', () => {
  it('given c1 on the tag, when c1, c2, c2, an employee and an empty id are added, then each item says what happened and only c2 is added', () => {
    const command = add([c('c1'), c('c2'), c('c2'), { kind: 'employee', id: 'e1' }, c('')]);
    const state = [added('c1')].reduce(evolveMembers, initialMembersState());
    expect(planMembers(command, state).map((r) => r.outcome)).toEqual([
      'already_present',
      'ok',
      'already_present',
      'not_allowed',
      'invalid',
    ]);
    spec([added('c1')])
      .when(command)
      .then([added('c2')]);
  });

  it('given a member tag, when employees and departments are added, then both are allowed and a customer is not', () => {
    const command = add(
      [{ kind: 'employee', id: 'e1' }, { kind: 'department', id: 'd1' }, c('c1')],
      'member',
    );
    expect(planMembers(command, initialMembersState()).map((r) => r.outcome)).toEqual([
      'ok',
      'ok',
      'not_allowed',
    ]);
  });

  it('given c1, when c1, c1 and c9 are removed, then c1 is removed once and the others are not found', () => {
    const command: TagMembersCommand = {
      type: 'RemoveMembers',
      data: { tagId: 't1', members: [c('c1'), c('c1'), c('c9')], actorRoles: [], source: 'api' },
    };
    const state = [added('c1')].reduce(evolveMembers, initialMembersState());
    expect(planMembers(command, state).map((r) => r.outcome)).toEqual(['ok', 'not_found', 'not_found']);
    spec([added('c1')])
      .when(command)
      .then([
        { type: 'MembersRemoved', data: { tagId: 't1', members: [c('c1')], actorRoles: [], source: 'api' } },
      ]);
  });

  it('given nothing new, when the same members are added again, then nothing is written', () => {
    spec([added('c1')])
      .when(add([c('c1')]))
      .then([]);
  });

  it('given a batch over 1,000 or empty, then INVALID_ARGUMENT names members', () => {
    spec([])
      .when(add(Array.from({ length: 1001 }, (_, i) => c(`c${i}`))))
      .thenThrows({ code: 'TAG.INVALID_ARGUMENT', field: 'members' });
    spec([]).when(add([])).thenThrows({ code: 'TAG.INVALID_ARGUMENT', field: 'members' });
  });
});
