import { given } from '@tagguard/testing';
import type { MemberRef } from '../../domain/tag-catalog.events';
import {
  decideMembers,
  evolveMembers,
  initialMembersState,
  planMembers,
  type TagMembersCommand,
  type TagMembersEvent,
} from '../../domain/tag-members';
import { membershipFlag, type DirectoryFact, type DirectoryFacts } from './member-checks.decider';

const spec = given<TagMembersCommand, TagMembersEvent, ReturnType<typeof initialMembersState>>({
  decide: decideMembers,
  evolve: evolveMembers,
  initialState: initialMembersState(),
});
const e = (id: string): MemberRef => ({ kind: 'employee', id });
const p = (id: string): MemberRef => ({ kind: 'partner', id });
const mirrored = (facts: Record<string, DirectoryFact>): DirectoryFacts => ({
  mirrored: true,
  known: new Map(Object.entries(facts)),
});
const add = (
  members: MemberRef[],
  directory?: DirectoryFacts,
  tagKind: 'member' | 'customer' | 'partner' = 'member',
): TagMembersCommand => ({
  type: 'AddMembers',
  data: {
    tagId: 't1',
    tagKind,
    members,
    actorRoles: ['tenant_admin'],
    source: 'api',
    ...(directory ? { directory } : {}),
  },
});
const added = (...members: MemberRef[]): TagMembersEvent => ({
  type: 'MembersAdded',
  data: { tagId: 't1', members, actorRoles: ['tenant_admin'], source: 'api' },
});

describe('member checks against the directory copy', () => {
  const directory = mirrored({
    'employee:alice': { removed: false, status: 'active' },
    'employee:bob': { removed: false, status: 'disabled' },
    'employee:carol': { removed: false, status: 'left' },
    'department:d1': { removed: false },
    'department:d2': { removed: true },
  });

  it('given a mirrored directory, when an active, a disabled, a departed and an unknown employee are added, then only the active one is added and the others say why', () => {
    const command = add([e('alice'), e('bob'), e('carol'), e('zed')], directory);
    expect(planMembers(command, initialMembersState())).toEqual([
      { member: e('alice'), outcome: 'ok' },
      { member: e('bob'), outcome: 'not_allowed', reason: 'employee bob is disabled' },
      { member: e('carol'), outcome: 'not_allowed', reason: 'employee carol has left' },
      { member: e('zed'), outcome: 'not_found', reason: 'no employee zed in the directory' },
    ]);
    spec([])
      .when(command)
      .then([added(e('alice'))]);
  });

  it('given a department removed from the directory, when it and an existing one are added, then the removed one is not found', () => {
    const d = (id: string): MemberRef => ({ kind: 'department', id });
    expect(
      planMembers(add([d('d1'), d('d2')], directory), initialMembersState()).map((r) => r.outcome),
    ).toEqual(['ok', 'not_found']);
  });

  it('given a tenant whose directory never reached tag-service, when made-up ids are added, then they are added unchecked', () => {
    spec([])
      .when(add([e('anyone')], { mirrored: false, known: new Map() }))
      .then([added(e('anyone'))]);
  });

  it('given a disabled employee already on the tag, when added again, then the answer is not_allowed (the directory speaks first) and nothing is written', () => {
    spec([added(e('bob'))])
      .when(add([e('bob')], directory))
      .then([]);
    expect(planMembers(add([e('bob')], directory), initialMembersState())[0]!.outcome).toBe('not_allowed');
  });

  it('given a partner tag, when a known partner enterprise, an unknown one and an employee are added, then the known partner is added, the unknown is not found and the employee is not allowed', () => {
    const partners = mirrored({ 'partner:wx-corp-1': { removed: false } });
    const command = add([p('wx-corp-1'), p('wx-corp-9'), e('alice')], partners, 'partner');
    expect(planMembers(command, initialMembersState()).map((r) => r.outcome)).toEqual([
      'ok',
      'not_found',
      'not_allowed',
    ]);
    spec([])
      .when(command)
      .then([added(p('wx-corp-1'))]);
  });

  it('given a partner enterprise, then it goes on partner tags only', () => {
    expect(planMembers(add([p('wx-corp-1')]), initialMembersState())[0]!.outcome).toBe('not_allowed');
    expect(planMembers(add([p('wx-corp-1')], undefined, 'customer'), initialMembersState())[0]!.outcome).toBe(
      'not_allowed',
    );
  });

  it('flags an existing membership whose employee is disabled, has left or whose object was removed; never before the tenant is mirrored', () => {
    expect([e('alice'), e('bob'), e('carol'), e('zed')].map((m) => membershipFlag(m, directory))).toEqual([
      '',
      'disabled',
      'left',
      '',
    ]);
    expect(membershipFlag({ kind: 'department', id: 'd2' }, directory)).toBe('removed');
    expect(membershipFlag(e('bob'), { mirrored: false, known: new Map() })).toBe('');
  });
});
