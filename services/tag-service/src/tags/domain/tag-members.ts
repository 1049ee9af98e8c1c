import type { MemberKind, MemberRef, TagKind } from './tag-catalog.events';
import { TagError } from './tag.errors';
import { refusedByDirectory, type DirectoryFacts } from '../directory-copy/domain/member-checks.decider';

// The members of one tag: stream `tagMembers-<tenantId>.<tagId>`, apart from the catalogue so that a
// 700-member tag does not weigh on every catalogue decision.

export const MAX_BATCH = 1_000;
export const MAX_MEMBER_ID_LENGTH = 128;

/**
 * Where a membership change came from; reverts and restores are not re-automated. `directory`: removed by
 * the tenant's departed-members policy when the employee was disabled or left.
 */
export type ChangeSource = 'api' | 'approval' | 'sync' | 'revert' | 'restore' | 'directory';

export type TagMembersEvent =
  | {
      type: 'MembersAdded';
      data: {
        tagId: string;
        members: MemberRef[];
        actorRoles: string[];
        source: ChangeSource;
        attributes?: Record<string, Record<string, string>>;
      };
    }
  | {
      type: 'MembersRemoved';
      data: { tagId: string; members: MemberRef[]; actorRoles: string[]; source: ChangeSource };
    };

export type ItemOutcome = 'ok' | 'already_present' | 'not_found' | 'not_allowed' | 'invalid';

export interface ItemResult {
  member: MemberRef;
  outcome: ItemOutcome;
  reason?: string;
}

export interface TagMembersState {
  /** `<kind>:<id>` → member. */
  members: Map<string, MemberRef>;
}

export const initialMembersState = (): TagMembersState => ({ members: new Map() });

export const memberKey = (m: MemberRef): string => `${m.kind}:${m.id}`;

export function evolveMembers(state: TagMembersState, event: TagMembersEvent): TagMembersState {
  const members = new Map(state.members);
  applyMembers(members, event);
  return { members };
}

/** The same change applied to a map its caller owns (folding a long history without a copy per event). */
export function applyMembers(members: Map<string, MemberRef>, event: TagMembersEvent): void {
  if (event.type === 'MembersAdded') for (const m of event.data.members) members.set(memberKey(m), m);
  else for (const m of event.data.members) members.delete(memberKey(m));
}

export type TagMembersCommand =
  | {
      type: 'AddMembers';
      data: {
        tagId: string;
        tagKind: TagKind;
        members: MemberRef[];
        actorRoles: string[];
        source: ChangeSource;
        attributes?: Record<string, Record<string, string>>;
        /** The directory facts of these members (from the local copy); every add is checked against them. */
        directory?: DirectoryFacts;
      };
    }
  | {
      type: 'RemoveMembers';
      data: { tagId: string; members: MemberRef[]; actorRoles: string[]; source: ChangeSource };
    };

const ALLOWED: Record<TagKind, MemberKind[]> = {
  member: ['employee', 'department'],
  customer: ['customer'],
  partner: ['partner'],
};
const KINDS: readonly string[] = ['employee', 'department', 'customer', 'partner'];

/** Per item: what happens to it. Never all-or-nothing: the valid items go through, the others say why. */
export function planMembers(command: TagMembersCommand, state: TagMembersState): ItemResult[] {
  const { members } = command.data;
  if (members.length === 0)
    throw new TagError('TAG.INVALID_ARGUMENT', 'must list at least one member', 'members');
  if (members.length > MAX_BATCH)
    throw new TagError('TAG.INVALID_ARGUMENT', `at most ${MAX_BATCH} members per call`, 'members');
  const seen = new Set<string>();
  return members.map((member): ItemResult => {
    if (!member.id || member.id.length > MAX_MEMBER_ID_LENGTH || !KINDS.includes(member.kind))
      return {
        member,
        outcome: 'invalid',
        reason: `id must be 1 to ${MAX_MEMBER_ID_LENGTH} characters, kind ${KINDS.join('/')}`,
      };
    const key = memberKey(member);
    const duplicate = seen.has(key);
    seen.add(key);
    if (command.type === 'AddMembers') {
      if (!ALLOWED[command.data.tagKind].includes(member.kind))
        return {
          member,
          outcome: 'not_allowed',
          reason: `a ${command.data.tagKind} tag takes ${ALLOWED[command.data.tagKind].join('/')}`,
        };
      const refused = command.data.directory && refusedByDirectory(member, command.data.directory);
      if (refused) return refused;
      return { member, outcome: duplicate || state.members.has(key) ? 'already_present' : 'ok' };
    }
    // Listed twice in one removal: the second finds it gone already.
    return { member, outcome: duplicate || !state.members.has(key) ? 'not_found' : 'ok' };
  });
}

export function decideMembers(command: TagMembersCommand, state: TagMembersState): TagMembersEvent[] {
  const unique = planMembers(command, state)
    .filter((r) => r.outcome === 'ok')
    .map((r) => r.member);
  if (unique.length === 0) return [];
  const { tagId, actorRoles, source } = command.data;
  if (command.type === 'AddMembers') {
    const attributes = command.data.attributes;
    return [
      {
        type: 'MembersAdded',
        data: { tagId, members: unique, actorRoles, source, ...(attributes ? { attributes } : {}) },
      },
    ];
  }
  return [{ type: 'MembersRemoved', data: { tagId, members: unique, actorRoles, source } }];
}
