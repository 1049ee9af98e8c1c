import { given } from '@tagguard/testing';
import {
  decideDirectoryPolicy,
  evolveDirectoryPolicy,
  initialDirectoryPolicy,
  type DirectoryPolicyEvent,
  type SetDirectoryPolicy,
} from './directory-policy.decider';

const spec = given<SetDirectoryPolicy, DirectoryPolicyEvent, ReturnType<typeof initialDirectoryPolicy>>({
  decide: decideDirectoryPolicy,
  evolve: evolveDirectoryPolicy,
  initialState: initialDirectoryPolicy(),
});
const set = (departedMembers: 'keep' | 'remove', expectedRevision?: number): SetDirectoryPolicy => ({
  type: 'SetDirectoryPolicy',
  data: {
    departedMembers,
    actorId: 'admin-1',
    ...(expectedRevision !== undefined ? { expectedRevision } : {}),
  },
});
const wasSet = (departedMembers: 'keep' | 'remove'): DirectoryPolicyEvent => ({
  type: 'DirectoryPolicySet',
  data: { departedMembers, setBy: 'admin-1' },
});

describe('the departed-members policy', () => {
  it('keeps departed members by default', () => {
    expect(initialDirectoryPolicy()).toEqual({ departedMembers: 'keep', revision: 0 });
  });

  it('given nothing set, when removal is chosen at revision 0, then it is set', () => {
    spec([])
      .when(set('remove', 0))
      .then([wasSet('remove')]);
  });

  it('given removal already chosen, when chosen again, then nothing is written', () => {
    spec([wasSet('remove')])
      .when(set('remove'))
      .then([]);
  });

  it('given a policy set once (revision 1), when set at revision 0, then WRONG_EXPECTED_REVISION names expected_revision', () => {
    spec([wasSet('remove')])
      .when(set('keep', 0))
      .thenThrows({ code: 'TAG.WRONG_EXPECTED_REVISION', field: 'expected_revision' });
  });
});
