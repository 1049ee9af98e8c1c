import type { PermissionIntegrationEventV1, RoleAssignmentV1 } from '@tagguard/contracts';
import { check } from './check';
import { applyPolicyEvent, emptyPolicy, type FoldRevisions } from './policy-fold';

// The fold of a role's removal and a racing assignment (D80). Positions are the store's order; the events
// are folded in the order listed, which a spec may shuffle (a replay, another copy's order).
const editor = (position: number, revision: number, removed = false): PermissionIntegrationEventV1 => ({
  type: 'permission.role_changed.v1',
  data: {
    tenantId: 't1',
    position: String(position),
    revision: String(revision),
    roleId: 'editor',
    name: 'Editor',
    scopes: ['customer_tags.*'],
    removed,
  },
});
const toBob = (position: number, revision = 0, removed = false): PermissionIntegrationEventV1 => {
  const data: RoleAssignmentV1 = {
    assignmentId: 'a-bob',
    roleId: 'editor',
    subject: { kind: 'employee', id: 'bob' },
    expiresAt: null,
    removed,
  };
  return {
    type: 'permission.role_assignment_changed.v1',
    data: { tenantId: 't1', position: String(position), revision: String(revision), ...data },
  };
};

/** Given events folded in this order, Then bob holds the role or not, in the fold and in a check. */
function given(...events: PermissionIntegrationEventV1[]) {
  const revisions: FoldRevisions = new Map();
  const policy = events.reduce((s, e) => applyPolicyEvent(s, e, revisions), emptyPolicy('t1'));
  const bobMayEdit = () =>
    check(
      {
        policy,
        directory: {
          parentOf: () => undefined,
          employee: () => ({ departmentIds: [], status: 'active' }),
          mirrored: true,
        },
        tags: {
          tag: (tagId) => ({
            tagId,
            kind: 'customer',
            isGroup: false,
            parentId: null,
            visibility: { restricted: false, departments: [], roles: [], memberIds: [] },
            sensitive: false,
          }),
        },
      },
      { subject: { employeeId: 'bob', tokenRoles: [] }, action: 'customer_tags.edit', tagId: 'x', at: 0 },
    ).allowed;
  return {
    thenBobHolds(holds: boolean) {
      expect([...policy.assignments.keys()]).toEqual(holds ? ['a-bob'] : []);
      expect(bobMayEdit()).toBe(holds);
    },
  };
}

describe('policy fold: a removed role and its assignments (D80)', () => {
  it('Given a role and an assignment, Then bob holds it (the baseline the other cases break)', () => {
    given(editor(1, 0), toBob(2)).thenBobHolds(true);
  });

  it('Given an assignment before the removal, When the role is defined again, Then bob holds nothing', () => {
    given(editor(1, 0), toBob(2), editor(3, 1, true), editor(4, 2)).thenBobHolds(false);
  });

  it('Given an assignment appended while the role stood removed (AssignRole racing RemoveRole), When the role is defined again, Then bob holds nothing', () => {
    given(editor(1, 0), editor(2, 1, true), toBob(3), editor(4, 2)).thenBobHolds(false);
  });

  it('Given the straggler folded only after the role was defined again (another order), Then bob still holds nothing', () => {
    given(editor(1, 0), editor(2, 1, true), editor(4, 2), toBob(3)).thenBobHolds(false);
    // And the assignment from before the removal, folded late, does not revive either.
    given(editor(1, 0), editor(3, 1, true), editor(4, 2), toBob(2)).thenBobHolds(false);
  });

  it('Given the straggler ended by its own RoleUnassigned, Then bob holds nothing, before or after the role is back', () => {
    given(editor(1, 0), editor(2, 1, true), toBob(3), toBob(4, 1, true)).thenBobHolds(false);
    given(editor(1, 0), editor(2, 1, true), toBob(3), toBob(4, 1, true), editor(5, 2)).thenBobHolds(false);
  });

  it('Given the role defined again, When bob is assigned afresh after it, Then he holds the new definition', () => {
    given(editor(1, 0), toBob(2), editor(3, 1, true), editor(4, 2), toBob(5, 1)).thenBobHolds(true);
    // A change of the role's scopes is not a new definition: a holder keeps it.
    given(editor(1, 0), editor(2, 1, true), editor(3, 2), toBob(4), editor(5, 3)).thenBobHolds(true);
  });
});

// The events as permission-service publishes them now: each definition says where it began, each
// assignment which definition it was made against (D80).
const editorSince = (
  position: number,
  revision: number,
  definedSince: number,
): PermissionIntegrationEventV1 => {
  const e = editor(position, revision);
  return { ...e, data: { ...e.data, definedSince } } as PermissionIntegrationEventV1;
};
const toBobAgainst = (
  position: number,
  revision: number,
  roleDefinedSince: number,
): PermissionIntegrationEventV1 => {
  const e = toBob(position, revision);
  return { ...e, data: { ...e.data, roleDefinedSince } } as PermissionIntegrationEventV1;
};

describe('policy fold: the definition carried by the events decides without history (D80)', () => {
  it('Given only the latest rows (straggler against definition 0, role defined again at revision 2), Then bob holds nothing, in either order', () => {
    // tag-service's copy: the removal's row was overwritten by the new definition.
    given(toBobAgainst(3, 0, 0), editorSince(4, 2, 2)).thenBobHolds(false);
    given(editorSince(4, 2, 2), toBobAgainst(3, 0, 0)).thenBobHolds(false);
  });

  it('Given an assignment against the current definition, Then bob holds it, in either order', () => {
    given(editorSince(4, 2, 2), toBobAgainst(5, 1, 2)).thenBobHolds(true);
    given(toBobAgainst(5, 1, 2), editorSince(4, 2, 2)).thenBobHolds(true);
    // A rename keeps the definition, and its holders.
    given(editorSince(1, 0, 0), toBobAgainst(2, 0, 0), editorSince(3, 1, 0)).thenBobHolds(true);
  });

  it('Given an assignment appended after the role was defined again by an AssignRole that read the earlier definition, Then bob holds nothing', () => {
    given(editorSince(1, 0, 0), editor(2, 1, true), editorSince(4, 2, 2), toBobAgainst(5, 0, 0)).thenBobHolds(
      false,
    );
  });

  it('Given the full history with the definitions carried, Then the straggler holds nothing whatever the order', () => {
    const history = [editorSince(1, 0, 0), editor(2, 1, true), toBobAgainst(3, 0, 0), editorSince(4, 2, 2)];
    given(...history).thenBobHolds(false);
    given(...[...history].reverse()).thenBobHolds(false);
  });
});
