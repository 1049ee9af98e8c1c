import type { PermissionGroupV1 } from '@tagguard/contracts';
import type { Decider } from '../../domain/decider';
import { idOf, listOf, nameOf, sameValue } from '../../domain/policy-rules';

export type GroupEvent =
  | { type: 'PermissionGroupDefined'; data: PermissionGroupV1 }
  | { type: 'PermissionGroupRemoved'; data: PermissionGroupV1 };

export type GroupCommand =
  | { type: 'DefinePermissionGroup'; data: Omit<PermissionGroupV1, 'removed'> }
  | { type: 'RemovePermissionGroup'; data: { groupId: string } };

/** A permission group: a named set of tags and tag groups (every tag below a group is in it too). */
export type GroupState = { group: PermissionGroupV1 | null; revision: number };

export const permissionGroup: Decider<GroupState, GroupCommand, GroupEvent> = {
  initialState: () => ({ group: null, revision: -1 }),

  evolve: (_state, event, revision) => ({
    group: event.type === 'PermissionGroupDefined' ? event.data : null,
    revision,
  }),

  decide(command, state) {
    switch (command.type) {
      case 'DefinePermissionGroup': {
        const d = command.data;
        const next: PermissionGroupV1 = {
          groupId: idOf(d.groupId, 'groupId'),
          name: nameOf(d.name, 'name'),
          tagIds: listOf(d.tagIds, 'tagIds', idOf),
          tagGroupIds: listOf(d.tagGroupIds, 'tagGroupIds', idOf),
          removed: false,
        };
        return sameValue(state.group, next) ? [] : [{ type: 'PermissionGroupDefined', data: next }];
      }
      case 'RemovePermissionGroup':
        return state.group
          ? [{ type: 'PermissionGroupRemoved', data: { ...state.group, removed: true } }]
          : [];
      default: {
        const unknown: never = command;
        throw new Error(`unknown command ${JSON.stringify(unknown)}`);
      }
    }
  },

  revisionOf: (_command, state) => (state.group ? state.revision : -1),
};
