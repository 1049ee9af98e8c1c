import type {
  FreezeV1,
  PermissionActionV1,
  PermissionGroupV1,
  PermissionRuleV1,
  RoleAssignmentV1,
  RoleV1,
  SensitiveWordV1,
} from '@tagguard/contracts';

/**
 * The pure permission engine's inputs. No I/O: permission-service and tag-service each feed it from their
 * own local copies (D56). The policy half is folded from permission-service's events (policy-fold.ts);
 * the directory and tag halves are read through the two views below, so a service adapts the copy it
 * already keeps instead of building a second one.
 */

export type EmployeeStatus = 'active' | 'disabled' | 'left';

/** The enterprise directory as the engine needs it (sync-service's events, kept by each service). */
export interface DirectoryView {
  /** null: the department is unknown. The root's parent is null. */
  parentOf(departmentId: string): string | null | undefined;
  /** undefined: the employee is not in the directory (a tenant never mirrored, D34, or an unknown id). */
  employee(employeeId: string): { departmentIds: readonly string[]; status: EmployeeStatus } | undefined;
  /** Is the tenant's directory mirrored at all? When not, department and employee facts are not checked. */
  readonly mirrored: boolean;
}

export type TagKind = 'member' | 'customer' | 'partner';

export type TagVisibility = {
  /** false: everyone in the tenant; true: only the departments, roles and members listed. */
  restricted: boolean;
  departments: readonly { departmentId: string; includeSubDepartments: boolean }[];
  /** Permission-service role ids (also matched against the caller's token roles). */
  roles: readonly string[];
  memberIds: readonly string[];
};

export type TagFacts = {
  tagId: string;
  kind: TagKind;
  /** A tag group (folder) or a leaf tag. */
  isGroup: boolean;
  parentId: string | null;
  visibility: TagVisibility;
  sensitive: boolean;
};

/** The tag catalogue as the engine needs it (tag-service's own state, or permission-service's copy). */
export interface TagView {
  tag(tagId: string): TagFacts | undefined;
}

/** Folded from permission-service's events; removed objects are dropped, not kept with a flag. */
export type PolicyState = {
  tenantId: string;
  roles: ReadonlyMap<string, RoleV1>;
  assignments: ReadonlyMap<string, RoleAssignmentV1>;
  groups: ReadonlyMap<string, PermissionGroupV1>;
  rules: ReadonlyMap<string, PermissionRuleV1>;
  /** The permission tree's order, top first; a rule missing from it sorts after, by id. */
  order: readonly string[];
  words: ReadonlyMap<string, SensitiveWordV1>;
  freezes: ReadonlyMap<string, FreezeV1>;
  /** The highest permission-service event-store position folded in: the snapshot a decision is made at. */
  position: bigint;
};

export type Snapshot = { policy: PolicyState; directory: DirectoryView; tags: TagView };

/** The caller. `tokenRoles` come from the signed token (e.g. tenant_admin); directory roles from assignments. */
export type CheckSubject = { employeeId: string; tokenRoles: readonly string[] };

export type CheckRequest = {
  subject: CheckSubject;
  action: PermissionActionV1;
  tagId: string;
  /** Field name → value, scanned by level 4 (sensitive words); the answer lists the masked ones. */
  fields?: Readonly<Record<string, string>>;
  /** The decision moment, for expiries (RFC 3339 or epoch ms). */
  at: number;
};

export type LevelName =
  'freeze' | 'department_inheritance' | 'role_scope' | 'tag_visibility' | 'sensitive_words';

export type LevelOutcome = 'allow' | 'deny' | 'not_applicable' | 'masked';

export type LevelTrace = {
  level: LevelName;
  outcome: LevelOutcome;
  /** What decided: rule ids, role ids, visibility entries, word ids; human-readable reason. */
  decidedBy: readonly string[];
  reason: string;
};

export type OverlayTrace = {
  /** One entry per permission group the tag belongs to; all must allow (double overlay). */
  groups: readonly { groupId: string; outcome: 'allow' | 'deny' | 'not_applicable'; ruleId: string | null }[];
  outcome: 'allow' | 'deny' | 'not_applicable';
};

export type Decision = {
  allowed: boolean;
  maskedFields: readonly string[];
  /** The levels in order; evaluation stops at the first deny, and the levels after it are absent. */
  levels: readonly LevelTrace[];
  overlay: OverlayTrace | null;
  /** PolicyState.position the decision was made at. */
  snapshot: bigint;
};
