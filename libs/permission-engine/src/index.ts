export { check } from './check';
export {
  actionMatches,
  departmentChain,
  groupsOfTag,
  orderedRules,
  rolesOf,
  ruleResourceCovers,
  ruleSubjectCovers,
  tagAncestors,
} from './matching';
export type {
  CheckRequest,
  CheckSubject,
  Decision,
  DirectoryView,
  EmployeeStatus,
  LevelName,
  LevelOutcome,
  LevelTrace,
  OverlayTrace,
  PolicyState,
  Snapshot,
  TagFacts,
  TagKind,
  TagView,
  TagVisibility,
} from './model';
export { applyPolicyEvent, emptyPolicy, type FoldRevisions } from './policy-fold';
export * from './analysis';
