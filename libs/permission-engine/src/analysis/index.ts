export {
  analyzeConflicts,
  relate,
  type Anomaly,
  type AnomalyKind,
  type ConflictReport,
  type Example,
  type Relation,
} from './anomalies';
export { explainAccess, type AccessExplanation, type LanePath, type PathStep } from './explain';
export { treeDot, treeJson, type TreeJson, type TreeNodeJson } from './export';
export {
  orderAfterMoves,
  previewMoves,
  previewOrder,
  ReorderError,
  type OutcomeChange,
  type ReorderPreview,
  type Verdict,
} from './reorder';
export { renderSvg } from './svg';
export { buildUniverse, ruleInLane, type AnalysisInput, type Lane, type Universe } from './universe';
