import fc from 'fast-check';
import type { PermissionRuleV1, PolicyResourceV1 } from '@tagguard/contracts';
import { check, subjectContext } from './check';
import {
  actionMatches,
  groupsOfTag,
  orderedRules,
  rolesOf,
  ruleResourceCovers,
  ruleSubjectCovers,
} from './matching';
import type { CheckSubject, OverlayTrace, Snapshot } from './model';
import { PolicyWorld } from './testing/policy-fixture';
import { ruleSubjectArb } from './testing/arbitraries';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const DEPTS = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5'];
const TAGS = ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7'];
const EMPLOYEES = ['e0', 'e1', 'e2', 'e3'];
const ROLES = ['r0', 'r1', 'r2'];
const ACTIONS = ['customer_tags.view', 'customer_tags.edit', 'member_tags.view'];
const GROUPS = ['g0', 'g1', 'g2'];

/** The naive level 1 the index must agree with: first match over orderedRules(), per permission group. */
function naiveLevel1(snapshot: Snapshot, subject: CheckSubject, action: string, tagId: string) {
  const roles = rolesOf(snapshot, subject, NOW);
  const applies = (rule: PermissionRuleV1, group: string | null) =>
    (rule.actions.length === 0 || rule.actions.some((p) => actionMatches(p, action))) &&
    ruleSubjectCovers(snapshot, rule, subject, roles) &&
    (rule.resource.kind === 'permission_group' ? group === rule.resource.id : true) &&
    ruleResourceCovers(snapshot, rule.resource, rule.starred, tagId);
  const first = (group: string | null) => orderedRules(snapshot).find((r) => applies(r, group)) ?? null;
  const outcome = (r: PermissionRuleV1 | null) =>
    r === null ? 'not_applicable' : r.effect === 'grant' ? 'allow' : 'deny';
  const groups = groupsOfTag(snapshot, tagId);
  if (groups.length === 0) {
    const r = first(null);
    return { outcome: outcome(r), decidedBy: r ? [r.ruleId] : [], overlay: null as OverlayTrace | null };
  }
  const per = groups.map((groupId) => {
    const r = first(groupId);
    return { groupId, outcome: outcome(r), ruleId: r?.ruleId ?? null };
  });
  const o = per.some((g) => g.outcome === 'deny')
    ? 'deny'
    : per.some((g) => g.outcome === 'allow')
      ? 'allow'
      : 'not_applicable';
  return { outcome: o, overlay: { groups: per, outcome: o } as OverlayTrace, decidedBy: null };
}

const subjectArb = ruleSubjectArb({ employees: EMPLOYEES, departments: DEPTS, roles: ROLES });
const resourceArb: fc.Arbitrary<PolicyResourceV1> = fc.oneof(
  fc.record({ kind: fc.constant('tag' as const), id: fc.constantFrom(...TAGS) }),
  fc.record({ kind: fc.constant('tag_group' as const), id: fc.constantFrom(...TAGS) }),
  fc.record({ kind: fc.constant('permission_group' as const), id: fc.constantFrom(...GROUPS, 'missing') }),
);
const ruleArb = fc.record({
  effect: fc.constantFrom('grant' as const, 'deny' as const),
  subject: subjectArb,
  resource: resourceArb,
  starred: fc.boolean(),
  actions: fc.subarray(['customer_tags.view', 'customer_tags.*', 'member_tags.view', '*']),
});
// A parent index below one's own keeps the trees acyclic; -1 is a root.
const treeArb = (n: number) =>
  fc.tuple(...Array.from({ length: n }, (_, i) => fc.integer({ min: -1, max: i - 1 })));

const worldArb = fc.record({
  departmentParents: treeArb(DEPTS.length),
  tagParents: treeArb(TAGS.length),
  employeeDepts: fc.tuple(...EMPLOYEES.map(() => fc.subarray(DEPTS, { minLength: 0, maxLength: 2 }))),
  groups: fc.tuple(
    ...GROUPS.map(() =>
      fc.record({ tags: fc.subarray(TAGS), tagGroups: fc.subarray(TAGS, { maxLength: 2 }) }),
    ),
  ),
  assignments: fc.array(
    fc.record({
      role: fc.constantFrom(...ROLES),
      subject: fc.oneof(
        fc.record({ kind: fc.constant('employee' as const), id: fc.constantFrom(...EMPLOYEES) }),
        fc.record({
          kind: fc.constant('department' as const),
          id: fc.constantFrom(...DEPTS),
          includeSubDepartments: fc.boolean(),
        }),
      ),
      expired: fc.boolean(),
    }),
    { maxLength: 5 },
  ),
  rules: fc.array(ruleArb, { maxLength: 25 }),
  order: fc.array(fc.nat(), { maxLength: 25 }),
});

describe('check: the indexed department level equals a naive first match over orderedRules()', () => {
  it('on random snapshots, for every subject, tag and action', () => {
    fc.assert(
      fc.property(worldArb, (spec) => {
        const w = new PolicyWorld();
        DEPTS.forEach((d, i) =>
          w.department(d, spec.departmentParents[i]! < 0 ? null : DEPTS[spec.departmentParents[i]!]!),
        );
        TAGS.forEach((t, i) => w.tagGroup(t, spec.tagParents[i]! < 0 ? null : TAGS[spec.tagParents[i]!]!));
        EMPLOYEES.forEach((e, i) => w.employee(e, ...spec.employeeDepts[i]!));
        ROLES.forEach((r) => w.role(r, ['customer_tags.view']));
        spec.groups.forEach((g, i) => w.group(GROUPS[i]!, g.tags, g.tagGroups));
        spec.assignments.forEach((a, i) =>
          w.assign(`a${i}`, a.role, a.subject, a.expired ? '2026-12-01T11:00:00Z' : null),
        );
        spec.rules.forEach((r, i) => w.rule({ ruleId: `rule${String(i).padStart(2, '0')}`, ...r }));
        // A random permutation (plus rules left out of the order, which sort after it by id).
        const ids = spec.rules.map((_, i) => `rule${String(i).padStart(2, '0')}`);
        const shuffled = [...ids].sort(
          (a, b) => (spec.order[ids.indexOf(a)] ?? 0) - (spec.order[ids.indexOf(b)] ?? 0),
        );
        w.order(shuffled.slice(0, Math.max(0, shuffled.length - 2)));
        const snapshot = w.snapshot();
        for (const employeeId of EMPLOYEES) {
          const subject = { employeeId, tokenRoles: [] };
          expect([...subjectContext(snapshot, subject, NOW).roles].sort()).toEqual(
            [...rolesOf(snapshot, subject, NOW)].sort(),
          );
          for (const tagId of TAGS)
            for (const action of ACTIONS) {
              const d = check(snapshot, { subject, action, tagId, at: NOW });
              const naive = naiveLevel1(snapshot, subject, action, tagId);
              expect(d.levels[1]!.outcome).toBe(naive.outcome);
              expect(d.overlay).toEqual(naive.overlay);
              if (naive.decidedBy) expect(d.levels[1]!.decidedBy).toEqual(naive.decidedBy);
            }
        }
      }),
      { numRuns: 150 },
    );
  });
});
