import {
  analyzeConflicts,
  buildUniverse,
  check,
  explainAccess,
  previewMoves,
  renderSvg,
  treeDot,
  treeJson,
  type AnalysisInput,
} from '@tagguard/permission-engine';
import { percentiles, round } from './measure';
import { generateTenant } from './permission-tenant';

/** A deterministic generator (mulberry32), for the sampled why-paths and checks. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The issue-12 tenant of the permission-check bench, with ordering conflicts (permission-tenant.ts). */
export function benchmarkTenant(): AnalysisInput {
  const tenant = generateTenant({ conflictFree: false });
  return {
    snapshot: tenant.world.snapshot(),
    employeeIds: tenant.employees.map((e) => e.id),
    tagIds: tenant.tags.map((t) => t.id),
    at: Date.parse('2026-12-01T12:00:00Z'),
  };
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
      tags: input.tagIds.length,
      rules: u.rules.length,
      generateMs,
    },
    classes: report.classes,
    buildUniverseMs: universeMs,
    analyzeConflicts: {
      ms: conflictsMs,
      overlappingPairs: report.overlappingPairs,
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
