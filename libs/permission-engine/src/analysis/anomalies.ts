import type { Lane, RuleSet, Universe } from './universe';
import { isEmptyRule } from './universe';
import { Bitset } from './bitset';

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
  /** Rule pairs whose sets overlap (each was related and classified). */
  overlappingPairs: number;
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
 * Every anomaly of the tree. Two product sets overlap iff they share a class in every dimension, so the
 * rules overlapping x are (rules sharing one of x's subject classes) ∧ (… resource classes) ∧ (… action
 * classes), three ORs of per-class rule bitsets: no loop over all pairs, and none over employees or tags.
 */
export function analyzeConflicts(u: Universe): ConflictReport {
  const n = u.rules.length;
  const empty = u.sets.map(isEmptyRule);
  const perClass = (classes: readonly { rules: number[] }[]) =>
    classes.map((c) => {
      const b = new Bitset(n);
      for (const i of c.rules) if (!empty[i]) b.add(i);
      return b;
    });
  const bySubject = perClass(u.subjects);
  const byResource = perClass(u.resources);
  const byAction = perClass(u.actions);
  const union = (members: Iterable<number>, rows: Bitset[]) => {
    const out = new Bitset(n);
    for (const c of members) {
      const w = rows[c]!.words;
      for (let k = 0; k < w.length; k++) out.words[k]! |= w[k]!;
    }
    return out;
  };
  const overlapping: number[][] = u.sets.map((set, x) => {
    if (empty[x]) return [];
    const s = union(set.subjects.members(), bySubject);
    const r = union(set.resources.members(), byResource);
    const a = union(set.actions.members(), byAction);
    for (let k = 0; k < s.words.length; k++) s.words[k]! &= r.words[k]! & a.words[k]!;
    return [...s.members()].filter((y) => y !== x);
  });
  const overlappingPairs = overlapping.reduce((sum, l) => sum + l.length, 0) / 2;
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
    overlappingPairs,
    classes: { subjects: u.subjects.length, resources: u.resources.length, actions: u.actions.length },
  };
}
