export { check, isWriteAction, TENANT_ADMIN } from './check';
export { expand, type ExpandNode, type ExpandRule } from './expand';
export {
  lookupResources,
  lookupSubjects,
  sortedCandidates,
  type LookupCandidates,
  type LookupPage,
  type LookupResult,
  type SortedIdSource,
} from './lookup';
export { normaliseText, sensitiveHits } from './sensitive-words';
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
