import { TagError } from '../../domain/tag.errors';

// The tenant's directory policy: stream `tagDirectoryPolicy-<tenantId>`, apart from the catalogue (it is
// read by the directory consumer, not by catalogue decisions).

/** What happens to the memberships of an employee who becomes disabled or leaves. */
export type DepartedMembers = 'keep' | 'remove';

export type DirectoryPolicyEvent = {
  type: 'DirectoryPolicySet';
  data: { departedMembers: DepartedMembers; setBy: string };
};

export interface DirectoryPolicyState {
  departedMembers: DepartedMembers;
  /** How often it was set: 0 while never set (the default applies). */
  revision: number;
}

export type SetDirectoryPolicy = {
  type: 'SetDirectoryPolicy';
  data: { departedMembers: DepartedMembers; expectedRevision?: number; actorId: string };
};

/** Kept by default: a disabled employee's memberships stay (flagged) until the tenant chooses removal. */
export const initialDirectoryPolicy = (): DirectoryPolicyState => ({ departedMembers: 'keep', revision: 0 });

export function evolveDirectoryPolicy(
  state: DirectoryPolicyState,
  event: DirectoryPolicyEvent,
): DirectoryPolicyState {
  return { departedMembers: event.data.departedMembers, revision: state.revision + 1 };
}

export function decideDirectoryPolicy(
  command: SetDirectoryPolicy,
  state: DirectoryPolicyState,
): DirectoryPolicyEvent[] {
  const { departedMembers, expectedRevision, actorId } = command.data;
  if (expectedRevision !== undefined && expectedRevision !== state.revision)
    throw new TagError(
      'TAG.WRONG_EXPECTED_REVISION',
      `the directory policy is at revision ${state.revision}, not ${expectedRevision}`,
      'expected_revision',
    );
  if (departedMembers === state.departedMembers && state.revision > 0) return [];
  return [{ type: 'DirectoryPolicySet', data: { departedMembers, setBy: actorId } }];
}
