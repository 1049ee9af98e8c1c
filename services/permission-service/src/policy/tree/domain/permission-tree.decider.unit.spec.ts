import type { PermissionRuleV1 } from '@tagguard/contracts';
import { specFor } from '../../testing/decider-spec';
import { permissionTree, type RuleEvent } from './permission-tree.decider';

const rule = (ruleId: string, extra: Partial<PermissionRuleV1> = {}): PermissionRuleV1 => ({
  ruleId,
  effect: 'grant',
  subject: { kind: 'department', id: 'd1', includeSubDepartments: false },
  resource: { kind: 'tag_group', id: 'g1' },
  actions: ['customer_tags.view'],
  starred: true,
  description: '',
  removed: false,
  ...extra,
});
const added = (r: PermissionRuleV1, order: string[]): RuleEvent[] => [
  { type: 'RulesReordered', data: { ruleIds: order, by: 'admin' } },
  { type: 'RuleChanged', data: r },
];
const { given } = specFor(permissionTree);
const abc = [
  ...added(rule('a'), ['a']),
  ...added(rule('b'), ['a', 'b']),
  ...added(rule('c'), ['a', 'b', 'c']),
];

describe('permission tree decider', () => {
  it('adds a rule at a position (default: the bottom) in the same append as the new order', () => {
    given(abc)
      .when({ type: 'AddRule', data: { rule: rule('x'), position: 1, by: 'admin' } })
      .then(added(rule('x'), ['a', 'x', 'b', 'c']));
    given(abc)
      .when({ type: 'AddRule', data: { rule: rule('x'), by: 'admin' } })
      .then(added(rule('x'), ['a', 'b', 'c', 'x']));
  });

  it('drags a rule to the bottom (a position past the end), and a move to where it is changes nothing', () => {
    given(abc)
      .when({ type: 'MoveRule', data: { ruleId: 'a', position: 99, by: 'risk-admin' } })
      .then([{ type: 'RulesReordered', data: { ruleIds: ['b', 'c', 'a'], by: 'risk-admin' } }]);
    given(abc)
      .when({ type: 'MoveRule', data: { ruleId: 'c', position: 2, by: 'x' } })
      .then([]);
  });

  it('refuses a removal without a rule id (INVALID_ARGUMENT on ruleId); an unknown one changes nothing', () => {
    given(abc)
      .when({ type: 'RemoveRule', data: { ruleId: '', by: 'admin' } })
      .thenFails('PERMISSION.INVALID_ARGUMENT', 'ruleId');
    given(abc)
      .when({ type: 'RemoveRule', data: { ruleId: 'ghost', by: 'admin' } })
      .then([]);
  });

  it('removes a rule from the rules and the order', () => {
    given(abc)
      .when({ type: 'RemoveRule', data: { ruleId: 'b', by: 'admin' } })
      .then([
        { type: 'RuleChanged', data: { ...rule('b'), removed: true } },
        { type: 'RulesReordered', data: { ruleIds: ['a', 'c'], by: 'admin' } },
      ]);
  });

  it("removes every rule naming a role as subject in one append, for a role's cascade removal (D80)", () => {
    const asRole = (id: string) => rule(id, { subject: { kind: 'role', id: 'risk' } });
    const mixed = [
      ...abc,
      ...added(asRole('r1'), ['a', 'b', 'c', 'r1']),
      ...added(asRole('r2'), ['r2', 'a', 'b', 'c', 'r1']),
    ];
    given(mixed)
      .when({ type: 'RemoveRulesOfRole', data: { roleId: 'risk', by: 'admin' } })
      .then([
        { type: 'RuleChanged', data: { ...asRole('r2'), removed: true } },
        { type: 'RuleChanged', data: { ...asRole('r1'), removed: true } },
        { type: 'RulesReordered', data: { ruleIds: ['a', 'b', 'c'], by: 'admin' } },
      ]);
    given(abc)
      .when({ type: 'RemoveRulesOfRole', data: { roleId: 'risk', by: 'admin' } })
      .then([]);
  });

  it('refuses a duplicate, an unknown rule, a bad effect, action or position, naming the field', () => {
    given(abc)
      .when({ type: 'AddRule', data: { rule: rule('a'), by: 'x' } })
      .thenFails('PERMISSION.ALREADY_EXISTS', 'ruleId');
    given(abc)
      .when({ type: 'MoveRule', data: { ruleId: 'z', position: 0, by: 'x' } })
      .thenFails('PERMISSION.NOT_FOUND', 'ruleId');
    given([])
      .when({ type: 'AddRule', data: { rule: rule('x', { effect: 'maybe' as never }), by: 'x' } })
      .thenFails('PERMISSION.INVALID_ARGUMENT', 'effect');
    given([])
      .when({ type: 'AddRule', data: { rule: rule('x', { actions: ['customer_tags.fly'] }), by: 'x' } })
      .thenFails('PERMISSION.INVALID_ARGUMENT', 'actions[0]');
    given([])
      .when({ type: 'AddRule', data: { rule: rule('x'), position: -1, by: 'x' } })
      .thenFails('PERMISSION.INVALID_ARGUMENT', 'position');
  });

  it('checks a move against the tree revision and an update against the rule revision', () => {
    const { state } = given(abc);
    expect(
      permissionTree.revisionOf({ type: 'MoveRule', data: { ruleId: 'a', position: 0, by: 'x' } }, state),
    ).toBe(5);
    // a was added by the first append (revisions 0 and 1): its revision is that append's, the one answered.
    expect(permissionTree.revisionOf({ type: 'UpdateRule', data: { rule: rule('a') } }, state)).toBe(1);
  });
});
