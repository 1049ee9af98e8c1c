import type { RoleAssignmentV1 } from '@tagguard/contracts';
import type { Decider } from '../../domain/decider';
import { invalid } from '../../domain/policy.errors';
import { idOf, instantOf, sameValue, subjectOf } from '../../domain/policy-rules';

export type AssignmentEvent =
  { type: 'RoleAssigned'; data: RoleAssignmentV1 } | { type: 'RoleUnassigned'; data: RoleAssignmentV1 };

export type AssignmentCommand =
  | {
      type: 'AssignRole';
      data: Omit<RoleAssignmentV1, 'removed' | 'subject'> & {
        subject: RoleAssignmentV1['subject'] | undefined;
      };
    }
  | { type: 'UnassignRole'; data: { assignmentId: string } };

/** One assignment of a role to an employee or a department (± sub-departments), one stream each. */
export type AssignmentState = { assignment: RoleAssignmentV1 | null; revision: number };

export const assignment: Decider<AssignmentState, AssignmentCommand, AssignmentEvent> = {
  initialState: () => ({ assignment: null, revision: -1 }),

  evolve: (_state, event, revision) => ({
    assignment: event.type === 'RoleAssigned' ? event.data : null,
    revision,
  }),

  decide(command, state) {
    switch (command.type) {
      case 'AssignRole': {
        const d = command.data;
        const subject = subjectOf(d.subject, 'subject');
        if (subject.kind === 'role')
          throw invalid('subject.roleId', 'a role is assigned to an employee or a department');
        const next: RoleAssignmentV1 = {
          assignmentId: idOf(d.assignmentId, 'assignmentId'),
          roleId: idOf(d.roleId, 'roleId'),
          subject,
          expiresAt: instantOf(d.expiresAt, 'expiresAt'),
          removed: false,
          // Set by the command layer from the role it read (D80); the same assignment against a role
          // defined again is a change, so a retry re-assigns it.
          ...(d.roleDefinedSince === undefined ? {} : { roleDefinedSince: d.roleDefinedSince }),
        };
        return sameValue(state.assignment, next) ? [] : [{ type: 'RoleAssigned', data: next }];
      }
      case 'UnassignRole':
        return state.assignment
          ? [{ type: 'RoleUnassigned', data: { ...state.assignment, removed: true } }]
          : [];
      default: {
        const unknown: never = command;
        throw new Error(`unknown command ${JSON.stringify(unknown)}`);
      }
    }
  },

  revisionOf: (_command, state) => (state.assignment ? state.revision : -1),
};
