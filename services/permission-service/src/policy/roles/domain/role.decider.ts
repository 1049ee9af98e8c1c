import type { RoleV1 } from '@tagguard/contracts';
import type { Decider } from '../../domain/decider';
import { PolicyError } from '../../domain/policy.errors';
import { actionOf, idOf, listOf, nameOf, sameValue } from '../../domain/policy-rules';

export type RoleEvent = { type: 'RoleDefined'; data: RoleV1 } | { type: 'RoleRemoved'; data: RoleV1 };

export type RoleCommand =
  | { type: 'DefineRole'; data: { roleId: string; name: string; scopes: string[] } }
  /**
   * `namedBy`: the rules of the tree whose subject is the role, as the edge read them. A removal is
   * refused while any rule names the role, unless `cascade` (which removes those rules first; D80).
   */
  | { type: 'RemoveRole'; data: { roleId: string; namedBy?: string[]; cascade?: boolean } };

/**
 * One role (a function scope), one stream per role. Removed roles keep their last state in the event.
 * `definedSince`: the revision its current definition began at (-1 while it stands removed or undefined),
 * so an AssignRole can tell the role it read from one removed and defined again meanwhile (D80).
 */
export type RoleState = { role: RoleV1 | null; revision: number; definedSince: number };

export const role: Decider<RoleState, RoleCommand, RoleEvent> = {
  initialState: () => ({ role: null, revision: -1, definedSince: -1 }),

  evolve: (state, event, revision) => {
    if (event.type === 'RoleRemoved') return { role: null, revision, definedSince: -1 };
    return { role: event.data, revision, definedSince: state.role ? state.definedSince : revision };
  },

  decide(command, state) {
    switch (command.type) {
      case 'DefineRole': {
        const d = command.data;
        const next: RoleV1 = {
          roleId: idOf(d.roleId, 'roleId'),
          name: nameOf(d.name, 'name'),
          scopes: listOf(d.scopes, 'scopes', actionOf),
          removed: false,
          // Published with every definition (D80), so a copy holding only the role's latest row knows
          // which definition an assignment must have been made against.
          definedSince: state.role ? state.definedSince : state.revision + 1,
        };
        // A role defined before D80 has no definedSince in its event: the same definition asked again is still
        // no change (older events fold by position).
        const asStored =
          state.role && state.role.definedSince === undefined ? { ...next, definedSince: undefined } : next;
        return sameValue(state.role, asStored) ? [] : [{ type: 'RoleDefined', data: next }];
      }
      case 'RemoveRole': {
        if (!state.role) return [];
        const namedBy = command.data.namedBy ?? [];
        if (namedBy.length > 0 && !command.data.cascade)
          throw new PolicyError(
            'PERMISSION.FAILED_PRECONDITION',
            `role ${state.role.roleId} is the subject of rules ${namedBy.join(', ')}: remove them first, or remove the role with cascade`,
            'cascade',
          );
        const last: RoleV1 = { ...state.role, removed: true };
        delete last.definedSince; // a removal ends the definition
        return [{ type: 'RoleRemoved', data: last }];
      }
      default: {
        const unknown: never = command;
        throw new Error(`unknown command ${JSON.stringify(unknown)}`);
      }
    }
  },

  revisionOf: (_command, state) => (state.role ? state.revision : -1),
};
