import { analysisV1, policyV1 } from '@tagguard/contracts';
import type {
  AccessExplanation,
  Anomaly,
  AnomalyKind,
  ConflictReport,
  Lane,
  OutcomeChange,
  PathStep,
  Relation,
  ReorderPreview,
  Verdict,
} from '@tagguard/permission-engine';

// engine → proto for the analysis answers, in one place.

const A = analysisV1;
const KIND: Record<AnomalyKind, analysisV1.AnomalyKind> = {
  shadowing: A.AnomalyKind.ANOMALY_KIND_SHADOWING,
  generalization: A.AnomalyKind.ANOMALY_KIND_GENERALIZATION,
  correlation: A.AnomalyKind.ANOMALY_KIND_CORRELATION,
  redundancy: A.AnomalyKind.ANOMALY_KIND_REDUNDANCY,
};
const RELATION: Record<Exclude<Relation, 'disjoint'>, analysisV1.SetRelation> = {
  equal: A.SetRelation.SET_RELATION_EQUAL,
  subset: A.SetRelation.SET_RELATION_SUBSET,
  superset: A.SetRelation.SET_RELATION_SUPERSET,
  correlated: A.SetRelation.SET_RELATION_CORRELATED,
};
const ROLE: Record<PathStep['role'], analysisV1.PathRole> = {
  decided: A.PathRole.PATH_ROLE_DECIDED,
  overridden: A.PathRole.PATH_ROLE_OVERRIDDEN,
  agrees: A.PathRole.PATH_ROLE_AGREES,
};
const OUTCOME: Record<AccessExplanation['outcome'], analysisV1.TreeOutcome> = {
  grant: A.TreeOutcome.TREE_OUTCOME_GRANT,
  deny: A.TreeOutcome.TREE_OUTCOME_DENY,
  none: A.TreeOutcome.TREE_OUTCOME_NONE,
};
const VERDICT: Record<Verdict, analysisV1.ReorderVerdict> = {
  equivalent: A.ReorderVerdict.REORDER_VERDICT_EQUIVALENT,
  more_permissive: A.ReorderVerdict.REORDER_VERDICT_MORE_PERMISSIVE,
  less_permissive: A.ReorderVerdict.REORDER_VERDICT_LESS_PERMISSIVE,
  incomparable: A.ReorderVerdict.REORDER_VERDICT_INCOMPARABLE,
};
const effect = (e: 'grant' | 'deny') =>
  e === 'grant' ? policyV1.RuleEffect.RULE_EFFECT_GRANT : policyV1.RuleEffect.RULE_EFFECT_DENY;

/** At most this many changes in one answer (each lists its employees and lanes); the totals count all. */
export const MAX_CHANGES = 1_000;

const lane = (l: Lane): analysisV1.TagLane => ({ tagId: l.tagId, groupId: l.groupId ?? '' });

const anomaly = (a: Anomaly): analysisV1.Anomaly => ({
  kind: KIND[a.kind],
  upperRuleId: a.rules[0],
  lowerRuleId: a.rules[1],
  relation: RELATION[a.relation],
  redundantRuleId: a.redundant ?? '',
  example: { employeeId: a.example.employeeId, lane: lane(a.example.lane), action: a.example.action },
});

export const toConflicts = (r: ConflictReport, ruleId: string): analysisV1.AnalyzeConflictsResponse => ({
  anomalies: r.anomalies.filter((a) => !ruleId || a.rules.includes(ruleId)).map(anomaly),
  emptyRuleIds: r.emptyRules,
  subjectClasses: r.classes.subjects,
  resourceClasses: r.classes.resources,
  actionClasses: r.classes.actions,
  overlappingPairs: String(r.overlappingPairs),
  snapshot: r.position.toString(),
});

export const toExplanation = (x: AccessExplanation): analysisV1.ExplainAccessResponse => ({
  lanes: x.lanes.map((l) => ({
    groupId: l.lane.groupId ?? '',
    outcome: OUTCOME[l.outcome],
    path: l.path.map((s) => ({
      position: s.position,
      ruleId: s.ruleId,
      effect: effect(s.effect),
      starred: s.starred,
      description: s.description,
      role: ROLE[s.role],
    })),
  })),
  outcome: OUTCOME[x.outcome],
  roles: x.roles,
  snapshot: x.position.toString(),
});

const change = (c: OutcomeChange): analysisV1.OutcomeChange => ({
  employeeIds: c.employeeIds,
  lanes: c.lanes.map(lane),
  actions: c.actions,
  fromEffect: effect(c.from.effect),
  fromRuleId: c.from.ruleId,
  toEffect: effect(c.to.effect),
  toRuleId: c.to.ruleId,
  pairs: String(c.pairs),
});

export const toPreview = (p: ReorderPreview, snapshot: bigint): analysisV1.PreviewReorderResponse => ({
  verdict: VERDICT[p.verdict],
  order: p.order,
  changes: p.changes.slice(0, MAX_CHANGES).map(change),
  truncated: p.changes.length > MAX_CHANGES,
  granted: String(p.granted),
  revoked: String(p.revoked),
  snapshot: snapshot.toString(),
});
