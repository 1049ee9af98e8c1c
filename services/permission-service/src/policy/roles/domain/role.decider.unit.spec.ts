import { specFor } from '../../testing/decider-spec';
import { role } from './role.decider';

const { given } = specFor(role);
const risk = {
  roleId: 'risk',
  name: 'Risk director',
  scopes: ['customer_tags.*', 'customer_fields.view'],
  removed: false,
  definedSince: 0,
};
const { definedSince: _since, ...riskLast } = risk;
const riskRemoved = { ...riskLast, removed: true };

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
      .then([{ type: 'RoleRemoved', data: riskRemoved }]);
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
      .then([{ type: 'RoleRemoved', data: riskRemoved }]);
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
        { type: 'RoleRemoved', data: riskRemoved },
      ]).state,
    ).toMatchObject({ role: null, definedSince: -1 });
    // Removed and defined again: a new definition, though the role reads the same.
    expect(
      given([
        { type: 'RoleDefined', data: risk },
        { type: 'RoleRemoved', data: riskRemoved },
        { type: 'RoleDefined', data: risk },
      ]).state,
    ).toMatchObject({ role: risk, revision: 2, definedSince: 2 });
  });

  it('publishes where its current definition began with each definition, none with a removal (D80)', () => {
    given([
      { type: 'RoleDefined', data: risk },
      { type: 'RoleRemoved', data: riskRemoved },
    ])
      .when({ type: 'DefineRole', data: { roleId: 'risk', name: 'Risk director', scopes: risk.scopes } })
      .then([{ type: 'RoleDefined', data: { ...risk, definedSince: 2 } }]);
    given([
      { type: 'RoleDefined', data: risk },
      { type: 'RoleRemoved', data: riskRemoved },
      { type: 'RoleDefined', data: { ...risk, definedSince: 2 } },
    ])
      .when({ type: 'DefineRole', data: { roleId: 'risk', name: 'Risk', scopes: risk.scopes } })
      .then([{ type: 'RoleDefined', data: { ...risk, name: 'Risk', definedSince: 2 } }]);
  });

  it('Given a role defined before D80 (its event without definedSince), When the same definition is asked again, Then nothing is written', () => {
    given([{ type: 'RoleDefined', data: riskLast }])
      .when({ type: 'DefineRole', data: { roleId: 'risk', name: 'Risk director', scopes: risk.scopes } })
      .then([]);
    given([{ type: 'RoleDefined', data: riskLast }])
      .when({ type: 'DefineRole', data: { roleId: 'risk', name: 'Risk', scopes: risk.scopes } })
      .then([{ type: 'RoleDefined', data: { ...risk, name: 'Risk' } }]);
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
