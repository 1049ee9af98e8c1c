import type { Lane, RuleSet, Universe } from './universe';
import { isEmptyRule } from './universe';

/** How two rules' sets relate over the universe (for x above y: `subset` means y ⊂ x). */
export type Relation = 'disjoint' | 'equal' | 'subset' | 'superset' | 'correlated';

/**
 * Al-Shaer & Hamed's anomalies of an ordered rule set, for rules x above y:
 * - shadowing: y ⊆ x with the other effect — y never decides anything;
 * - generalization: y ⊃ x with the other effect — y decides only what x leaves (often intended);
 * - correlation: x and y overlap, neither contains the other, effects differ — order decides the overlap;
 * - redundancy: y ⊆ x with the same effect (y can go), or x ⊂ y with the same effect and no rule between
 *   them that overlaps x with the other effect (x can go).
 */
export type AnomalyKind = 'shadowing' | 'generalization' | 'correlation' | 'redundancy';

export type Example = { employeeId: string; lane: Lane; action: string };

export type Anomaly = {
  kind: AnomalyKind;
  /** Upper (earlier) rule first. */
  rules: [string, string];
  relation: Exclude<Relation, 'disjoint'>;
  /** For redundancy: the rule that can be removed without changing any decision. */
  redundant?: string;
  /** One (employee, tag in a permission-group lane, action) both rules apply to. */
  example: Example;
};

export type ConflictReport = {
  tenantId: string;
  position: bigint;
  anomalies: Anomaly[];
  /** Rules that apply to nothing in the universe (unknown subject or resource, no matching action). */
  emptyRules: string[];
  /** Rule pairs whose sets were compared (they share at least one subject class). */
  comparedPairs: number;
  classes: { subjects: number; resources: number; actions: number };
};

const subsetOf = (a: RuleSet, b: RuleSet) =>
  a.subjects.subsetOf(b.subjects) && a.resources.subsetOf(b.resources) && a.actions.subsetOf(b.actions);

const intersects = (a: RuleSet, b: RuleSet) =>
  a.actions.intersects(b.actions) && a.subjects.intersects(b.subjects) && a.resources.intersects(b.resources);

/** The relation of y (below) to x (above); both non-empty. Sets are products, so it is decided per dimension. */
export function relate(x: RuleSet, y: RuleSet): Relation {
  if (!intersects(x, y)) return 'disjoint';
  const ySubX = subsetOf(y, x);
  const xSubY = subsetOf(x, y);
  return ySubX && xSubY ? 'equal' : ySubX ? 'subset' : xSubY ? 'superset' : 'correlated';
}

export function exampleOf(u: Universe, x: number, y: number): Example {
  const a = u.sets[x]!;
  const b = u.sets[y]!;
  return {
    employeeId: u.subjects[a.subjects.firstCommon(b.subjects)]!.employeeIds[0]!,
    lane: u.resources[a.resources.firstCommon(b.resources)]!.lanes[0]!,
    action: u.actions[a.actions.firstCommon(b.actions)]!.actions[0]!,
  };
}

/**
 * Every anomaly of the tree. Candidate pairs are the rules sharing a subject class (rules with no common
 * subject cannot overlap); each pair is then compared per dimension on the class bitsets.
 */
export function analyzeConflicts(u: Universe): ConflictReport {
  const n = u.rules.length;
  const empty = u.sets.map(isEmptyRule);
  const overlapping: number[][] = Array.from({ length: n }, () => []);
  const seen = new Set<number>();
  for (const c of u.subjects) {
    const rs = c.rules.filter((i) => !empty[i]);
    for (let a = 0; a < rs.length; a++)
      for (let b = a + 1; b < rs.length; b++) {
        const x = rs[a]!;
        const y = rs[b]!;
        const key = x * n + y;
        if (seen.has(key)) continue;
        seen.add(key);
        if (intersects(u.sets[x]!, u.sets[y]!)) {
          overlapping[x]!.push(y);
          overlapping[y]!.push(x);
        }
      }
  }
  const anomalies: Anomaly[] = [];
  for (let x = 0; x < n; x++) {
    for (const y of overlapping[x]!) {
      if (y <= x) continue;
      const rx = u.rules[x]!;
      const ry = u.rules[y]!;
      const relation = relate(u.sets[x]!, u.sets[y]!) as Exclude<Relation, 'disjoint'>;
      const same = rx.effect === ry.effect;
      const base = {
        rules: [rx.ruleId, ry.ruleId] as [string, string],
        relation,
        example: exampleOf(u, x, y),
      };
      if (relation === 'equal' || relation === 'subset') {
        anomalies.push(
          same ? { kind: 'redundancy', ...base, redundant: ry.ruleId } : { kind: 'shadowing', ...base },
        );
      } else if (relation === 'superset') {
        if (!same) anomalies.push({ kind: 'generalization', ...base });
        else if (!overlapping[x]!.some((z) => z > x && z < y && u.rules[z]!.effect !== rx.effect))
          anomalies.push({ kind: 'redundancy', ...base, redundant: rx.ruleId });
      } else if (!same) {
        anomalies.push({ kind: 'correlation', ...base });
      }
    }
  }
  return {
    tenantId: u.input.snapshot.policy.tenantId,
    position: u.input.snapshot.policy.position,
    anomalies,
    emptyRules: u.rules.filter((_, i) => empty[i]).map((r) => r.ruleId),
    comparedPairs: seen.size,
    classes: { subjects: u.subjects.length, resources: u.resources.length, actions: u.actions.length },
  };
}
