import { specFor } from '../../testing/decider-spec';
import { role } from './role.decider';

const { given } = specFor(role);
const risk = {
  roleId: 'risk',
  name: 'Risk director',
  scopes: ['customer_tags.*', 'customer_fields.view'],
  removed: false,
};

describe('role decider', () => {
  it('defines a role once (repeated scopes collapse), and removes it with its last state', () => {
    given([])
      .when({
        type: 'DefineRole',
        data: { roleId: 'risk', name: ' Risk director ', scopes: [...risk.scopes, 'customer_tags.*'] },
      })
      .then([{ type: 'RoleDefined', data: risk }]);
    given([{ type: 'RoleDefined', data: risk }])
      .when({ type: 'DefineRole', data: { roleId: 'risk', name: 'Risk director', scopes: risk.scopes } })
      .then([]);
    given([{ type: 'RoleDefined', data: risk }])
      .when({ type: 'RemoveRole', data: { roleId: 'risk' } })
      .then([{ type: 'RoleRemoved', data: { ...risk, removed: true } }]);
    given([])
      .when({ type: 'RemoveRole', data: { roleId: 'risk' } })
      .then([]);
  });

  it('refuses to remove a role rules still name, naming them, unless with cascade (D80)', () => {
    given([{ type: 'RoleDefined', data: risk }])
      .when({ type: 'RemoveRole', data: { roleId: 'risk', namedBy: ['r1', 'r2'] } })
      .thenFails('PERMISSION.FAILED_PRECONDITION', 'cascade', /rules r1, r2/);
    given([{ type: 'RoleDefined', data: risk }])
      .when({ type: 'RemoveRole', data: { roleId: 'risk', namedBy: ['r1'], cascade: true } })
      .then([{ type: 'RoleRemoved', data: { ...risk, removed: true } }]);
  });

  it('knows where its current definition began, so an AssignRole can tell a role removed meanwhile (D80)', () => {
    const renamed = { ...risk, name: 'Risk' };
    expect(given([{ type: 'RoleDefined', data: risk }]).state).toMatchObject({
      revision: 0,
      definedSince: 0,
    });
    // A change of name or scopes is the same definition.
    expect(
      given([
        { type: 'RoleDefined', data: risk },
        { type: 'RoleDefined', data: renamed },
      ]).state,
    ).toMatchObject({ revision: 1, definedSince: 0 });
    expect(
      given([
        { type: 'RoleDefined', data: risk },
        { type: 'RoleRemoved', data: { ...risk, removed: true } },
      ]).state,
    ).toMatchObject({ role: null, definedSince: -1 });
    // Removed and defined again: a new definition, though the role reads the same.
    expect(
      given([
        { type: 'RoleDefined', data: risk },
        { type: 'RoleRemoved', data: { ...risk, removed: true } },
        { type: 'RoleDefined', data: risk },
      ]).state,
    ).toMatchObject({ role: risk, revision: 2, definedSince: 2 });
  });

  it('refuses a scope outside the action catalogue and an empty name', () => {
    given([])
      .when({ type: 'DefineRole', data: { roleId: 'r', name: 'R', scopes: ['*', 'tags.*'] } })
      .thenFails('PERMISSION.INVALID_ARGUMENT', 'scopes[1]');
    given([])
      .when({ type: 'DefineRole', data: { roleId: 'r', name: ' ', scopes: [] } })
      .thenFails('PERMISSION.INVALID_ARGUMENT', 'name');
  });
});
