import fc from 'fast-check';
import type { PermissionRuleV1 } from '@tagguard/contracts';
import { check } from '../check';
import { groupsOfTag, orderedRules, rolesOf, ruleResourceCovers, ruleSubjectCovers } from '../matching';
import { analyzeConflicts, relate, type Relation } from './anomalies';
import { explainAccess } from './explain';
import { previewOrder } from './reorder';
import { buildInput, type TenantSpec } from './testing/snapshot-builder';
import { actionUniverse, buildUniverse, ruleActionCovers, ruleInLane, type AnalysisInput } from './universe';
import { ruleSubjectArb } from '../testing/arbitraries';

/**
 * Brute force over every (employee, tag lane, action) with the shared primitives only, against the
 * class-based analysis: rule sets, relations, anomalies, why-paths and reorder previews must agree exactly.
 */

const DEPTS = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5'];
const TAGS = ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7'];
const EMPLOYEES = ['e0', 'e1', 'e2', 'e3', 'e4', 'e5'];
const ROLES = ['r0', 'r1'];
const GROUPS = ['g0', 'g1', 'g2'];
const ACTIONS = [
  'customer_tags.view',
  'customer_tags.edit',
  'customer_tags.*',
  'member_tags.view',
  '*',
  'custom.act',
];

const subjectArb = ruleSubjectArb({ employees: [...EMPLOYEES, 'ghost'], departments: DEPTS, roles: ROLES });
const resourceArb = fc.record({
  kind: fc.constantFrom('tag' as const, 'tag_group' as const, 'permission_group' as const),
  n: fc.nat(7),
});

const specArb: fc.Arbitrary<TenantSpec> = fc
  .record({
    deptParents: fc.tuple(...DEPTS.slice(1).map((_, i) => fc.nat(i))),
    tagParents: fc.tuple(...TAGS.slice(1).map((_, i) => fc.option(fc.nat(i), { nil: null }))),
    employees: fc.tuple(
      ...EMPLOYEES.map(() => fc.uniqueArray(fc.constantFrom(...DEPTS), { minLength: 0, maxLength: 2 })),
    ),
    groups: fc.tuple(
      ...GROUPS.map(() =>
        fc.record({
          tagIds: fc.subarray(TAGS, { maxLength: 3 }),
          tagGroupIds: fc.subarray(TAGS, { maxLength: 2 }),
        }),
      ),
    ),
    assignments: fc.array(
      fc.record({
        roleId: fc.constantFrom(...ROLES),
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
      { maxLength: 3 },
    ),
    rules: fc.array(
      fc.record({
        effect: fc.constantFrom('grant' as const, 'deny' as const),
        subject: subjectArb,
        resource: resourceArb,
        starred: fc.boolean(),
        actions: fc.subarray(ACTIONS, { maxLength: 2 }),
      }),
      { minLength: 1, maxLength: 8 },
    ),
  })
  .map((g) => ({
    departments: Object.fromEntries(DEPTS.map((d, i) => [d, i === 0 ? null : DEPTS[g.deptParents[i - 1]!]!])),
    employees: Object.fromEntries(EMPLOYEES.map((e, i) => [e, g.employees[i]!])),
    tags: Object.fromEntries(
      TAGS.map((t, i) => [
        t,
        i === 0 ? null : g.tagParents[i - 1] === null ? null : TAGS[g.tagParents[i - 1]!]!,
      ]),
    ),
    groups: GROUPS.map((groupId, i) => ({ groupId, name: groupId, ...g.groups[i]!, removed: false })),
    roles: ROLES.map((roleId) => ({ roleId, name: roleId, scopes: ['*'], removed: false })),
    assignments: g.assignments.map((a, i) => ({
      assignmentId: `a${i}`,
      roleId: a.roleId,
      subject: a.subject,
      expiresAt: a.expired ? '2026-01-01T00:00:00Z' : null,
      removed: false,
    })),
    rules: g.rules.map((r, i): PermissionRuleV1 => ({
      ruleId: `rule${i}`,
      effect: r.effect,
      subject: r.subject,
      resource:
        r.resource.kind === 'permission_group'
          ? { kind: 'permission_group', id: GROUPS[r.resource.n % GROUPS.length]! }
          : { kind: r.resource.kind, id: TAGS[r.resource.n]! },
      starred: r.starred,
      actions: r.actions,
      description: '',
      removed: false,
    })),
  }));

type Cell = string;

/** Every (employee, tag, lane, action) a rule applies to, by the primitives alone. */
function bruteSets(input: AnalysisInput): {
  rules: PermissionRuleV1[];
  sets: Map<string, Set<Cell>>;
  cells: Cell[];
  applying: Map<Cell, PermissionRuleV1[]>;
} {
  const { snapshot } = input;
  const rules = orderedRules(snapshot);
  const actions = actionUniverse(rules);
  const sets = new Map(rules.map((r) => [r.ruleId, new Set<Cell>()]));
  const applying = new Map<Cell, PermissionRuleV1[]>();
  const cells: Cell[] = [];
  for (const employeeId of input.employeeIds) {
    const subject = { employeeId, tokenRoles: [] };
    const roles = rolesOf(snapshot, subject, input.at);
    for (const tagId of input.tagIds) {
      const groups = groupsOfTag(snapshot, tagId);
      for (const groupId of groups.length ? groups : [null]) {
        for (const action of actions) {
          const cell = `${employeeId}|${tagId}|${groupId ?? ''}|${action}`;
          cells.push(cell);
          const list = rules.filter(
            (r) =>
              ruleSubjectCovers(snapshot, r, subject, roles) &&
              ruleResourceCovers(snapshot, r.resource, r.starred, tagId) &&
              ruleActionCovers(r, action) &&
              ruleInLane(r, { tagId, groupId }),
          );
          applying.set(cell, list);
          for (const r of list) sets.get(r.ruleId)!.add(cell);
        }
      }
    }
  }
  return { rules, sets, cells, applying };
}

function bruteRelation(x: Set<Cell>, y: Set<Cell>): Relation {
  const common = [...y].filter((c) => x.has(c)).length;
  if (common === 0) return 'disjoint';
  if (common === x.size && common === y.size) return 'equal';
  if (common === y.size) return 'subset';
  if (common === x.size) return 'superset';
  return 'correlated';
}

const orderArb = (n: number) => fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n });

describe('the class-based analysis against brute force (small random tenants)', () => {
  it('rule sets and relations are exactly those of the primitives', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const input = buildInput(spec);
        const u = buildUniverse(input);
        const brute = bruteSets(input);
        u.rules.forEach((r, i) => {
          const expanded = new Set<Cell>();
          const s = u.sets[i]!;
          for (const sc of s.subjects.members())
            for (const rc of s.resources.members())
              for (const ac of s.actions.members())
                for (const e of u.subjects[sc]!.employeeIds)
                  for (const l of u.resources[rc]!.lanes)
                    for (const a of u.actions[ac]!.actions)
                      expanded.add(`${e}|${l.tagId}|${l.groupId ?? ''}|${a}`);
          expect([...expanded].sort()).toEqual([...brute.sets.get(r.ruleId)!].sort());
        });
        for (let x = 0; x < u.rules.length; x++)
          for (let y = x + 1; y < u.rules.length; y++) {
            const bx = brute.sets.get(u.rules[x]!.ruleId)!;
            const by = brute.sets.get(u.rules[y]!.ruleId)!;
            if (bx.size && by.size) expect(relate(u.sets[x]!, u.sets[y]!)).toBe(bruteRelation(bx, by));
          }
      }),
      { numRuns: 150 },
    );
  });

  it('anomalies follow the definitions over the explicit sets', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const input = buildInput(spec);
        const brute = bruteSets(input);
        const expected: string[] = [];
        const { rules } = brute;
        const set = (i: number) => brute.sets.get(rules[i]!.ruleId)!;
        for (let x = 0; x < rules.length; x++)
          for (let y = x + 1; y < rules.length; y++) {
            if (!set(x).size || !set(y).size) continue;
            const rel = bruteRelation(set(x), set(y));
            const same = rules[x]!.effect === rules[y]!.effect;
            const pair = `${rules[x]!.ruleId}>${rules[y]!.ruleId}`;
            if (rel === 'equal' || rel === 'subset')
              expected.push(`${same ? 'redundancy' : 'shadowing'} ${pair}`);
            else if (rel === 'superset') {
              if (!same) expected.push(`generalization ${pair}`);
              else {
                const between = rules
                  .slice(x + 1, y)
                  .some(
                    (z) =>
                      z.effect !== rules[x]!.effect &&
                      [...set(x)].some((c) => brute.sets.get(z.ruleId)!.has(c)),
                  );
                if (!between) expected.push(`redundancy ${pair}`);
              }
            } else if (rel === 'correlated' && !same) expected.push(`correlation ${pair}`);
          }
        const report = analyzeConflicts(buildUniverse(input));
        expect(report.anomalies.map((a) => `${a.kind} ${a.rules.join('>')}`).sort()).toEqual(expected.sort());
        for (const a of report.anomalies) {
          const cell = `${a.example.employeeId}|${a.example.lane.tagId}|${a.example.lane.groupId ?? ''}|${a.example.action}`;
          expect(brute.sets.get(a.rules[0])!.has(cell) && brute.sets.get(a.rules[1])!.has(cell)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("a reorder preview lists exactly the (employee, tag, action) whose combined outcome changes, each once; it is the check's level 1", () => {
    const asLevel = { grant: 'allow', deny: 'deny', none: 'not_applicable' } as const;
    fc.assert(
      fc.property(
        specArb.chain((spec) => fc.tuple(fc.constant(spec), orderArb(spec.rules.length))),
        ([spec, permutation]) => {
          const input = buildInput(spec);
          const brute = bruteSets(input);
          const newOrder = permutation.map((i) => brute.rules[i]!.ruleId);
          const rank = new Map(newOrder.map((id, k) => [id, k]));
          const oldRank = new Map(brute.rules.map((r, k) => [r.ruleId, k]));
          // Every lane's first applying rule, combined per tag by the overlay: any deny denies, else any grant.
          const lanesOf = new Map<string, PermissionRuleV1[][]>();
          for (const [cell, list] of brute.applying) {
            const [e, t, , a] = cell.split('|');
            const key = `${e}|${t}|${a}`;
            if (list.length) lanesOf.set(key, [...(lanesOf.get(key) ?? []), list]);
          }
          const outcome = (e: string, t: string, a: string, ranks: Map<string, number>) => {
            const firsts = (lanesOf.get(`${e}|${t}|${a}`) ?? []).map((list) =>
              list.reduce((x, y) => (ranks.get(y.ruleId)! < ranks.get(x.ruleId)! ? y : x)),
            );
            return firsts.some((r) => r.effect === 'deny')
              ? 'deny'
              : firsts.some((r) => r.effect === 'grant')
                ? 'grant'
                : 'none';
          };
          const expected: string[] = [];
          const actions = [...new Set(brute.cells.map((c) => c.split('|')[3]!))];
          for (const e of input.employeeIds)
            for (const t of input.tagIds)
              for (const a of actions) {
                const before = outcome(e, t, a, oldRank);
                const after = outcome(e, t, a, rank);
                if (before !== after) expected.push(`${e}|${t}|${a} ${before}→${after}`);
              }
          // The brute force's combined outcome in the new order is what the check decides at level 1.
          const moved = { ...input.snapshot, policy: { ...input.snapshot.policy, order: newOrder } };
          for (const e of input.employeeIds)
            for (const t of input.tagIds)
              for (const a of actions.filter((x) => !x.includes('*')).slice(0, 2)) {
                const level = check(moved, {
                  subject: { employeeId: e, tokenRoles: [] },
                  action: a,
                  tagId: t,
                  at: input.at,
                }).levels.find((l) => l.level === 'department_inheritance');
                expect(level?.outcome).toBe(asLevel[outcome(e, t, a, rank)]);
              }
          const preview = previewOrder(buildUniverse(input), newOrder);
          const got = preview.changes.flatMap((c) =>
            c.employeeIds.flatMap((e) =>
              c.tagIds.flatMap((t) => c.actions.map((a) => `${e}|${t}|${a} ${c.from.effect}→${c.to.effect}`)),
            ),
          );
          expect(got.sort()).toEqual(expected.sort());
          const up = expected.filter((c) => c.endsWith('→grant')).length;
          const down = expected.length - up;
          expect([preview.granted, preview.revoked]).toEqual([up, down]);
          expect(preview.verdict).toBe(
            !up && !down
              ? 'equivalent'
              : !down
                ? 'more_permissive'
                : !up
                  ? 'less_permissive'
                  : 'incomparable',
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the why-path lists the applying rules in order, the first deciding', () => {
    fc.assert(
      fc.property(
        specArb,
        fc.constantFrom(...EMPLOYEES),
        fc.constantFrom(...TAGS),
        fc.constantFrom('customer_tags.view', 'member_tags.edit'),
        (spec, e, t, a) => {
          const input = buildInput(spec);
          const brute = bruteSets(input);
          const why = explainAccess(input.snapshot, { employeeId: e, tagId: t, action: a, at: input.at });
          for (const lane of why.lanes) {
            const list = brute.applying.get(`${e}|${t}|${lane.lane.groupId ?? ''}|${a}`)!;
            expect(lane.path.map((s) => s.ruleId)).toEqual(list.map((r) => r.ruleId));
            expect(lane.outcome).toBe(list[0]?.effect ?? 'none');
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("the permission tree's outcome is the check's level 1 (department inheritance with double overlay)", () => {
    const asLevel = { grant: 'allow', deny: 'deny', none: 'not_applicable' } as const;
    fc.assert(
      fc.property(
        specArb,
        fc.constantFrom('customer_tags.view', 'member_tags.view', 'custom.act'),
        (spec, action) => {
          const input = buildInput(spec);
          for (const employeeId of EMPLOYEES)
            for (const tagId of TAGS) {
              const why = explainAccess(input.snapshot, { employeeId, tagId, action, at: input.at });
              const level = check(input.snapshot, {
                subject: { employeeId, tokenRoles: [] },
                action,
                tagId,
                at: input.at,
              }).levels.find((l) => l.level === 'department_inheritance');
              expect(level?.outcome).toBe(asLevel[why.outcome]);
            }
        },
      ),
      { numRuns: 100 },
    );
  });
});
