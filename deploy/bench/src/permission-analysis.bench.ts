import type { PermissionGroupV1, PermissionRuleV1, RoleAssignmentV1, RoleV1 } from '@tagguard/contracts';
import {
  analyzeConflicts,
  buildUniverse,
  check,
  emptyPolicy,
  explainAccess,
  previewMoves,
  renderSvg,
  treeDot,
  treeJson,
  type AnalysisInput,
  type Snapshot,
  type TagFacts,
} from '@tagguard/permission-engine';
import { percentiles, round } from './measure';

const EMPLOYEES = Number(process.env['BENCH_ANALYSIS_EMPLOYEES'] ?? 100_000);
const DEPARTMENTS = 2_000;
const TAGS = 10_000;
const RULES = Number(process.env['BENCH_ANALYSIS_RULES'] ?? 5_000);
const ACTIONS = ['customer_tags.view', 'customer_tags.edit', 'member_tags.view', 'customer_fields.view'];

/** A deterministic generator (mulberry32), so every run analyses the same tenant. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Levels 1..5 of a tree: each node's parent is a random node of the level above. */
function tree(prefix: string, sizes: number[], rnd: () => number): Map<string, string | null> {
  const parent = new Map<string, string | null>();
  let above: string[] = [];
  sizes.forEach((size, level) => {
    const here = Array.from({ length: size }, (_, i) => `${prefix}${level}-${i}`);
    for (const id of here) parent.set(id, level === 0 ? null : above[Math.floor(rnd() * above.length)]!);
    above = here;
  });
  return parent;
}

/**
 * The benchmark tenant: 2,000 departments five levels deep, 100,000 employees, 10,000 tags (tag
 * groups five levels deep, leaves below), 5,000 rules (starred and plain department rules on tag groups,
 * role rules on permission groups, personal rules on tags; a third of them denies).
 */
export function benchmarkTenant(): AnalysisInput {
  const rnd = random(12);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!;
  const departments = tree('d', [1, 10, 90, 400, 1_499], rnd);
  const departmentIds = [...departments.keys()];
  const employees = new Map<string, string[]>();
  for (let i = 0; i < EMPLOYEES; i++) employees.set(`e${i}`, [pick(departmentIds)]);
  const groupTree = tree('g', [1, 10, 60, 250, 679], rnd);
  const groupIds = [...groupTree.keys()];
  const tagParent = new Map(groupTree);
  for (let i = tagParent.size; i < TAGS; i++) tagParent.set(`t${i}`, pick(groupIds.slice(-929)));
  const tagIds = [...tagParent.keys()];
  const facts = new Map<string, TagFacts>(
    tagIds.map((tagId) => [
      tagId,
      {
        tagId,
        kind: 'customer',
        isGroup: groupTree.has(tagId),
        parentId: tagParent.get(tagId)!,
        visibility: { restricted: false, departments: [], roles: [], memberIds: [] },
        sensitive: false,
      },
    ]),
  );
  const roles: RoleV1[] = Array.from({ length: 20 }, (_, i) => ({
    roleId: `role${i}`,
    name: `role ${i}`,
    scopes: ['*'],
    removed: false,
  }));
  const assignments: RoleAssignmentV1[] = Array.from({ length: 200 }, (_, i) => ({
    assignmentId: `as${i}`,
    roleId: pick(roles).roleId,
    subject: { kind: 'department', id: pick(departmentIds), includeSubDepartments: rnd() < 0.5 },
    expiresAt: null,
    removed: false,
  }));
  const groups: PermissionGroupV1[] = Array.from({ length: 100 }, (_, i) => ({
    groupId: `pg${i}`,
    name: `group ${i}`,
    tagIds: Array.from({ length: 5 }, () => pick(tagIds)),
    tagGroupIds: [pick(groupIds)],
    removed: false,
  }));
  const rules: PermissionRuleV1[] = [];
  for (let i = 0; i < RULES; i++) {
    const kind = rnd();
    const effect = rnd() < 0.33 ? 'deny' : 'grant';
    const actions = rnd() < 0.3 ? [] : [pick(ACTIONS)];
    const base = { ruleId: `rule${i}`, effect, actions, description: '', removed: false } as const;
    if (i % 500 === 0)
      // A few wide starred rules (a level-2 department over a level-2 tag group), as real trees have.
      rules.push({
        ...base,
        subject: { kind: 'department', id: pick(departmentIds.slice(1, 11)), includeSubDepartments: false },
        resource: { kind: 'tag_group', id: pick(groupIds.slice(1, 11)) },
        starred: true,
      });
    else if (kind < 0.6)
      rules.push({
        ...base,
        subject: { kind: 'department', id: pick(departmentIds), includeSubDepartments: false },
        resource: { kind: 'tag_group', id: pick(groupIds) },
        starred: rnd() < 0.5,
      });
    else if (kind < 0.75)
      rules.push({
        ...base,
        subject: { kind: 'role', id: pick(roles).roleId },
        resource: { kind: 'permission_group', id: pick(groups).groupId },
        starred: false,
      });
    else
      rules.push({
        ...base,
        subject: { kind: 'employee', id: `e${Math.floor(rnd() * EMPLOYEES)}` },
        resource: { kind: 'tag', id: pick(tagIds) },
        starred: false,
      });
  }
  const snapshot: Snapshot = {
    policy: {
      ...emptyPolicy('bench'),
      roles: new Map(roles.map((r) => [r.roleId, r])),
      assignments: new Map(assignments.map((a) => [a.assignmentId, a])),
      groups: new Map(groups.map((g) => [g.groupId, g])),
      rules: new Map(rules.map((r) => [r.ruleId, r])),
      order: rules.map((r) => r.ruleId),
    },
    directory: {
      mirrored: true,
      parentOf: (id) => departments.get(id),
      employee: (id) => {
        const d = employees.get(id);
        return d ? { departmentIds: d, status: 'active' } : undefined;
      },
    },
    tags: { tag: (id) => facts.get(id) },
  };
  return { snapshot, employeeIds: [...employees.keys()], tagIds, at: Date.parse('2026-12-01T12:00:00Z') };
}

const timed = <T>(f: () => T): [T, number] => {
  const t = process.hrtime.bigint();
  const out = f();
  return [out, round(Number(process.hrtime.bigint() - t) / 1e6)];
};

/**
 * The conflict analysis on the benchmark tenant, in-process (no server involved): building the classes,
 * classifying the anomalies, why-paths, reorder previews (a typical rule, the top rule, the widest rule
 * moved to the bottom), the JSON/DOT export and SVG of a 200-rule tree. The raw baseline of the same run:
 * the engine's own check per (employee, tag, action), measured on a sample and extrapolated to the
 * universe a pair-by-pair analysis would have to evaluate.
 */
export async function permissionAnalysis() {
  const [input, generateMs] = timed(benchmarkTenant);
  const [u, universeMs] = timed(() => buildUniverse(input));
  const [report, conflictsMs] = timed(() => analyzeConflicts(u));
  const kinds: Record<string, number> = {};
  for (const a of report.anomalies) kinds[a.kind] = (kinds[a.kind] ?? 0) + 1;
  const last = u.rules.length - 1;
  const widest = u.sets
    .map((s, i) => ({
      i,
      size: [...s.subjects.members()].reduce((n, c) => n + u.subjects[c]!.employeeIds.length, 0),
    }))
    .sort((a, b) => b.size - a.size)[0]!.i;
  const previews = Object.fromEntries(
    (
      [
        ['middleRuleToBottom', u.rules[Math.floor(last / 2)]!.ruleId],
        ['topRuleToBottom', u.rules[0]!.ruleId],
        ['widestRuleToBottom', u.rules[widest]!.ruleId],
      ] as const
    ).map(([name, ruleId]) => {
      const [p, ms] = timed(() => previewMoves(u, [{ ruleId, toPosition: last }]));
      return [
        name,
        { ms, verdict: p.verdict, changes: p.changes.length, granted: p.granted, revoked: p.revoked },
      ];
    }),
  );
  const rnd = random(99);
  const explainMs: number[] = [];
  const checkMicros: number[] = [];
  for (let i = 0; i < 200; i++) {
    const q = {
      employeeId: input.employeeIds[Math.floor(rnd() * input.employeeIds.length)]!,
      tagId: input.tagIds[Math.floor(rnd() * input.tagIds.length)]!,
      action: 'customer_tags.view',
      at: input.at,
    };
    explainMs.push(timed(() => explainAccess(input.snapshot, q))[1]);
  }
  for (let i = 0; i < 20_000; i++) {
    const employeeId = input.employeeIds[Math.floor(rnd() * input.employeeIds.length)]!;
    const tagId = input.tagIds[Math.floor(rnd() * input.tagIds.length)]!;
    const t = process.hrtime.bigint();
    check(input.snapshot, {
      subject: { employeeId, tokenRoles: [] },
      action: 'customer_tags.view',
      tagId,
      at: input.at,
    });
    checkMicros.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  const medianCheckMicros = percentiles(checkMicros.slice(2_000)).p50;
  const [tree, jsonMs] = timed(() => treeJson(u.rules, report));
  const [dot, dotMs] = timed(() => treeDot(tree));
  const small = {
    ...tree,
    rules: tree.rules.slice(0, 200),
    anomalies: tree.anomalies.filter(
      (a) =>
        tree.rules.slice(0, 200).some((r) => r.ruleId === a.rules[1]) &&
        tree.rules.slice(0, 200).some((r) => r.ruleId === a.rules[0]),
    ),
  };
  const t = process.hrtime.bigint();
  const svg = await renderSvg(treeDot(small));
  const svgMs = round(Number(process.hrtime.bigint() - t) / 1e6);
  const universeCells = input.employeeIds.length * input.tagIds.length * u.actions.length;
  return {
    tenant: {
      employees: input.employeeIds.length,
      departments: DEPARTMENTS,
      tags: input.tagIds.length,
      rules: u.rules.length,
      generateMs,
    },
    classes: report.classes,
    buildUniverseMs: universeMs,
    analyzeConflicts: {
      ms: conflictsMs,
      comparedPairs: report.comparedPairs,
      anomalies: report.anomalies.length,
      byKind: kinds,
      emptyRules: report.emptyRules.length,
    },
    previews,
    explainAccessMs: percentiles(explainMs),
    exportTree: { jsonMs, dotMs, dotBytes: dot.length, svgOf200RulesMs: svgMs, svgBytes: svg.length },
    baseline: {
      what: 'check() per (employee, tag, action) after 2,000 warm-up calls; a pair-by-pair analysis evaluates every cell (estimate at the median)',
      checkMicros: percentiles(checkMicros.slice(2_000)),
      universeCells,
      pairByPairEstimateSeconds: round((universeCells * medianCheckMicros) / 1e6),
      analysisSeconds: round((universeMs + conflictsMs) / 1e3),
    },
  };
}
