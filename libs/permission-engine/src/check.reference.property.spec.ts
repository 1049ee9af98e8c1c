import fc from 'fast-check';
import { check } from './check';
import { lookupResources, lookupSubjects } from './lookup';
import type { CheckRequest, Snapshot, TagVisibility } from './model';
import { checkReference } from './testing/check-reference';
import { OPEN, PolicyWorld, restricted } from './testing/policy-fixture';
import { ruleSubjectArb } from './testing/arbitraries';

/**
 * D117: the fast check (shared traces, the tag path read once, per-action candidates, parsed expiries)
 * against the check as it was before it (testing/check-reference.ts), decision for decision and trace for
 * trace, on random worlds that reach every level and every explanation: freezes, no roles, token roles,
 * expired and unparsable assignments, duplicate and unknown departments, a cyclic directory, restricted
 * tags and groups, permission groups (one and several), sensitive words, unknown tags and actions; then
 * again after the live views change under the kept plans (a tag moved, a visibility changed, a department
 * moved), and through the lookups.
 */
const NOW = Date.parse('2026-12-01T12:00:00Z');
const DEPTS = ['d0', 'd1', 'd2', 'd3', 'd4', ''];
const TAGS = ['t0', 't1', 't2', 't3', 't4', 't5', 't6'];
const EMPLOYEES = ['e0', 'e1', 'e2', 'e3'];
const ROLES = ['r0', 'r1', 'r2', 'tenant_admin'];
const ACTIONS = [
  'customer_tags.view',
  'customer_tags.edit',
  'customer_fields.view',
  'member_tags.view',
  'odd',
];
const GROUPS = ['g0', 'g1', 'g2'];
const SCOPES = ['customer_tags.view', 'customer_tags.*', 'customer_fields.view', '*', 'member_tags.edit'];
const EXPIRIES = [null, '2026-12-01T12:00:00Z', '2026-12-01T11:00:00Z', '2026-12-02T00:00:00Z', 'not a date'];
const UNTILS = [null, '2026-12-01T12:00:00Z', '2026-12-01T11:00:00Z', '2026-12-03T00:00:00Z'];

const subjectArb = ruleSubjectArb({ employees: EMPLOYEES, departments: DEPTS, roles: ROLES });
const visibilityArb: fc.Arbitrary<TagVisibility> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(OPEN) },
  fc
    .record({
      departments: fc.array(
        fc.record({ departmentId: fc.constantFrom(...DEPTS), includeSubDepartments: fc.boolean() }),
        { maxLength: 2 },
      ),
      roles: fc.subarray(ROLES, { maxLength: 2 }),
      memberIds: fc.subarray(EMPLOYEES, { maxLength: 2 }),
    })
    .map((v) => restricted(v)),
);
// A parent index below one's own keeps a tree acyclic; -1 is a root, and a cycle is planted on request.
const treeArb = (n: number) =>
  fc.tuple(...Array.from({ length: n }, (_, i) => fc.integer({ min: -1, max: i - 1 })));

const worldArb = fc.record({
  departmentParents: treeArb(DEPTS.length),
  cyclicDirectory: fc.boolean(),
  tagParents: treeArb(TAGS.length),
  tagVisibility: fc.tuple(...TAGS.map(() => visibilityArb)),
  employeeDepts: fc.tuple(...EMPLOYEES.map(() => fc.array(fc.constantFrom(...DEPTS), { maxLength: 3 }))),
  roles: fc.option(fc.tuple(...ROLES.map(() => fc.subarray(SCOPES, { maxLength: 2 }))), { freq: 4 }),
  groups: fc.tuple(
    ...GROUPS.map(() =>
      fc.record({
        tags: fc.subarray(TAGS, { maxLength: 3 }),
        tagGroups: fc.subarray(TAGS, { maxLength: 2 }),
      }),
    ),
  ),
  assignments: fc.array(
    fc.record({
      role: fc.constantFrom(...ROLES, 'undefined-role'),
      subject: fc.oneof(
        fc.record({ kind: fc.constant('employee' as const), id: fc.constantFrom(...EMPLOYEES) }),
        fc.record({
          kind: fc.constant('department' as const),
          id: fc.constantFrom(...DEPTS),
          includeSubDepartments: fc.boolean(),
        }),
      ),
      expiresAt: fc.constantFrom(...EXPIRIES),
    }),
    { maxLength: 6 },
  ),
  rules: fc.array(
    fc.record({
      effect: fc.constantFrom('grant' as const, 'deny' as const),
      subject: subjectArb,
      resource: fc.oneof(
        fc.record({ kind: fc.constant('tag' as const), id: fc.constantFrom(...TAGS) }),
        fc.record({ kind: fc.constant('tag_group' as const), id: fc.constantFrom(...TAGS) }),
        fc.record({ kind: fc.constant('permission_group' as const), id: fc.constantFrom(...GROUPS) }),
      ),
      starred: fc.boolean(),
      actions: fc.subarray(['customer_tags.view', 'customer_tags.*', 'member_tags.view', '*']),
    }),
    { maxLength: 20 },
  ),
  freezes: fc.array(
    fc.record({
      actor: fc.constantFrom(...EMPLOYEES),
      until: fc.constantFrom(...UNTILS),
      frozen: fc.boolean(),
    }),
    { maxLength: 2 },
  ),
  words: fc.subarray(['vip', 'ＶＩＰ', '张三', 'secret'], { maxLength: 3 }),
  wordFields: fc.boolean(),
  changes: fc.record({
    tag: fc.constantFrom(...TAGS),
    parent: fc.constantFrom(null, ...TAGS),
    visibility: visibilityArb,
    department: fc.constantFrom(...DEPTS),
    departmentParent: fc.constantFrom(null, ...DEPTS),
  }),
});
type WorldSpec = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

const FIELDS: (Record<string, string> | undefined)[] = [
  undefined,
  {},
  { name: '华东 VIP 客户', remark: '联系人张三' },
  { remark: 'nothing here', description: 'plain' },
];

function build(spec: WorldSpec): PolicyWorld {
  const w = new PolicyWorld();
  DEPTS.forEach((d, i) =>
    w.department(d, spec.departmentParents[i]! < 0 ? null : DEPTS[spec.departmentParents[i]!]!),
  );
  if (spec.cyclicDirectory) w.department('d0', 'd4');
  TAGS.forEach((t, i) =>
    w.tagGroup(t, spec.tagParents[i]! < 0 ? null : TAGS[spec.tagParents[i]!]!, {
      visibility: spec.tagVisibility[i]!,
    }),
  );
  EMPLOYEES.forEach((e, i) => w.employee(e, ...spec.employeeDepts[i]!));
  if (spec.roles) ROLES.forEach((r, i) => w.role(r, spec.roles![i]!));
  spec.groups.forEach((g, i) => w.group(GROUPS[i]!, g.tags, g.tagGroups));
  spec.assignments.forEach((a, i) => w.assign(`a${i}`, a.role, a.subject, a.expiresAt));
  spec.rules.forEach((r, i) => w.rule({ ruleId: `rule${String(i).padStart(2, '0')}`, ...r }));
  spec.freezes.forEach((f) => w.freeze(f.actor, f.until, f.frozen));
  spec.words.forEach((word, i) => w.word(`w${i}`, word, spec.wordFields && i % 2 ? ['remark'] : []));
  return w;
}

const TOKEN_ROLES = [[], ['tenant_admin'], ['r1', 'r1']];

/** Requests over the world: each employee (and an unknown one) on every tag (and an unknown one) and action. */
function requests(): CheckRequest[] {
  const out: CheckRequest[] = [];
  [...EMPLOYEES, 'e-unknown'].forEach((employeeId, e) =>
    [...TAGS, 't-unknown'].forEach((tagId, t) =>
      ACTIONS.forEach((action, a) =>
        out.push({
          subject: { employeeId, tokenRoles: TOKEN_ROLES[(e + t + a) % TOKEN_ROLES.length]! },
          action,
          tagId,
          at: NOW,
          fields: FIELDS[(e + 2 * t + a) % FIELDS.length],
        }),
      ),
    ),
  );
  return out;
}

function agrees(snapshot: Snapshot, all: CheckRequest[]) {
  for (const request of all) {
    const expected = checkReference(snapshot, request);
    // Twice: the second answer comes from what the first one kept.
    expect(check(snapshot, request)).toStrictEqual(expected);
    expect(check(snapshot, request)).toStrictEqual(expected);
  }
}

describe('check (D117) against the check before it (testing/check-reference.ts)', () => {
  it('the same decisions and traces on random worlds, and after the live views change', () => {
    const all = requests();
    fc.assert(
      fc.property(worldArb, (spec) => {
        const w = build(spec);
        const snapshot = w.snapshot();
        agrees(snapshot, all);
        // The views are live: the kept plans must notice a moved tag or department and a new visibility.
        const c = spec.changes;
        const tag = w.tags.get(c.tag)!;
        w.tagGroup(c.tag, c.parent === c.tag ? null : c.parent, { visibility: c.visibility });
        w.department(c.department, c.departmentParent);
        agrees(snapshot, all);
        w.tags.set(c.tag, tag);
        agrees(snapshot, all);
      }),
      { numRuns: 50 },
    );
  });

  it('the lookups answer as the reference check does, one tag or one employee at a time', () => {
    fc.assert(
      fc.property(worldArb, (spec) => {
        const snapshot = build(spec).snapshot();
        const ids = [...TAGS, 't-unknown'];
        for (const employeeId of EMPLOYEES) {
          const subject = { employeeId, tokenRoles: [] };
          const expected = ids
            .filter(
              (tagId) =>
                checkReference(snapshot, { subject, action: 'customer_tags.view', tagId, at: NOW }).allowed,
            )
            .sort();
          expect(
            lookupResources(snapshot, subject, 'customer_tags.view', ids, { limit: 100, at: NOW }).ids,
          ).toEqual(expected);
        }
        for (const tagId of TAGS) {
          const expected = EMPLOYEES.filter(
            (employeeId) =>
              checkReference(snapshot, {
                subject: { employeeId, tokenRoles: [] },
                action: 'customer_tags.edit',
                tagId,
                at: NOW,
              }).allowed,
          );
          expect(
            lookupSubjects(snapshot, tagId, 'customer_tags.edit', EMPLOYEES, { limit: 100, at: NOW }).ids,
          ).toEqual(expected);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('shares the traces it keeps frozen, so a caller cannot change another decision', () => {
    const w = new PolicyWorld()
      .department('d0')
      .employee('e0', 'd0')
      .tagGroup('t0')
      .tag('t1', 't0')
      .role('r0', ['customer_tags.view'])
      .assign('a0', 'r0', { kind: 'employee', id: 'e0' })
      .rule({
        ruleId: 'rule0',
        effect: 'grant',
        subject: { kind: 'department', id: 'd0', includeSubDepartments: false },
        resource: { kind: 'tag', id: 't1' },
      });
    const request = {
      subject: { employeeId: 'e0', tokenRoles: [] },
      action: 'customer_tags.view',
      tagId: 't1',
      at: NOW,
    };
    const first = check(w.snapshot(), request);
    expect(first.allowed).toBe(true);
    for (const level of first.levels) {
      expect(Object.isFrozen(level)).toBe(true);
      expect(Object.isFrozen(level.decidedBy)).toBe(true);
    }
    expect(() => (first.levels[1]!.decidedBy as string[]).push('x')).toThrow(TypeError);
    expect(check(w.snapshot(), request)).toStrictEqual(checkReference(w.snapshot(), request));
  });
});
