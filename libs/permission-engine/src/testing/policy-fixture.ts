import type {
  FreezeV1,
  PermissionGroupV1,
  PermissionIntegrationEventV1,
  PermissionRuleV1,
  RoleAssignmentV1,
  RoleV1,
  SensitiveWordV1,
} from '@tagguard/contracts';
import type { DirectoryView, EmployeeStatus, Snapshot, TagFacts, TagView, TagVisibility } from '../model';
import { applyPolicyEvent, emptyPolicy, type FoldRevisions } from '../policy-fold';

/**
 * An in-memory world for the engine's specs and benchmark: a directory, a tag catalogue, and a policy
 * folded from real permission events (so the fold is exercised too). Test support, no I/O.
 */
export const OPEN: TagVisibility = { restricted: false, departments: [], roles: [], memberIds: [] };

export function restricted(v: Partial<Omit<TagVisibility, 'restricted'>>): TagVisibility {
  return { restricted: true, departments: [], roles: [], memberIds: [], ...v };
}

export class PolicyWorld {
  readonly departments = new Map<string, string | null>();
  readonly employees = new Map<string, { departmentIds: string[]; status: EmployeeStatus }>();
  readonly tags = new Map<string, TagFacts>();
  mirrored = true;
  private policy = emptyPolicy('t1');
  private readonly revisions: FoldRevisions = new Map();
  private position = 0;

  constructor(readonly tenantId = 't1') {
    this.policy = emptyPolicy(tenantId);
  }

  department(id: string, parentId: string | null = null): this {
    this.departments.set(id, parentId);
    return this;
  }

  employee(id: string, ...departmentIds: string[]): this {
    this.employees.set(id, { departmentIds, status: 'active' });
    return this;
  }

  tag(id: string, parentId: string | null = null, facts: Partial<TagFacts> = {}): this {
    this.tags.set(id, {
      tagId: id,
      kind: 'customer',
      isGroup: false,
      parentId,
      visibility: OPEN,
      sensitive: false,
      ...facts,
    });
    return this;
  }

  tagGroup(id: string, parentId: string | null = null, facts: Partial<TagFacts> = {}): this {
    return this.tag(id, parentId, { isGroup: true, ...facts });
  }

  apply(event: PermissionIntegrationEventV1): this {
    this.policy = applyPolicyEvent(this.policy, event, this.revisions);
    return this;
  }

  private base() {
    this.position++;
    return { tenantId: this.tenantId, revision: String(this.position), position: String(this.position) };
  }

  role(roleId: string, scopes: string[], removed = false): this {
    const data: RoleV1 = { roleId, name: roleId, scopes, removed };
    return this.apply({ type: 'permission.role_changed.v1', data: { ...this.base(), ...data } });
  }

  assign(
    assignmentId: string,
    roleId: string,
    subject: RoleAssignmentV1['subject'],
    expiresAt: string | null = null,
  ): this {
    const data: RoleAssignmentV1 = { assignmentId, roleId, subject, expiresAt, removed: false };
    return this.apply({ type: 'permission.role_assignment_changed.v1', data: { ...this.base(), ...data } });
  }

  group(groupId: string, tagIds: string[], tagGroupIds: string[] = []): this {
    const data: PermissionGroupV1 = { groupId, name: groupId, tagIds, tagGroupIds, removed: false };
    return this.apply({ type: 'permission.group_changed.v1', data: { ...this.base(), ...data } });
  }

  /**
   * Adds the rule at the bottom of the tree; `append: false` leaves the order alone (a rule missing from
   * `order` sorts after it, by id), for bulk loads that reorder once at the end.
   */
  rule(
    rule: Omit<PermissionRuleV1, 'description' | 'removed' | 'actions' | 'starred'> &
      Partial<PermissionRuleV1>,
    { append = true }: { append?: boolean } = {},
  ): this {
    const data: PermissionRuleV1 = { description: '', removed: false, actions: [], starred: false, ...rule };
    this.apply({ type: 'permission.rule_changed.v1', data: { ...this.base(), ...data } });
    if (append && !this.policy.order.includes(rule.ruleId)) this.order([...this.policy.order, rule.ruleId]);
    return this;
  }

  removeRule(ruleId: string): this {
    const rule = this.policy.rules.get(ruleId)!;
    return this.apply({
      type: 'permission.rule_changed.v1',
      data: { ...this.base(), ...rule, removed: true },
    });
  }

  order(ruleIds: string[]): this {
    return this.apply({
      type: 'permission.rules_reordered.v1',
      data: { ...this.base(), ruleIds, by: 'spec' },
    });
  }

  /** Moves the rules to the bottom of the permission tree, keeping their relative order. */
  moveToBottom(...ruleIds: string[]): this {
    const rest = this.policy.order.filter((id) => !ruleIds.includes(id));
    return this.order([...rest, ...ruleIds]);
  }

  word(wordId: string, word: string, fields: string[] = [], category = 'privacy'): this {
    const data: SensitiveWordV1 = { wordId, word, category, fields, removed: false };
    return this.apply({ type: 'permission.sensitive_word_changed.v1', data: { ...this.base(), ...data } });
  }

  freeze(actorId: string, until: string | null = null, frozen = true): this {
    const data: FreezeV1 = { actorId, frozen, source: 'manual', reason: 'spec', until };
    return this.apply({ type: 'permission.freeze_changed.v1', data: { ...this.base(), ...data } });
  }

  snapshot(): Snapshot {
    const departments = this.departments;
    const employees = this.employees;
    const tags = this.tags;
    const mirrored = this.mirrored;
    const directory: DirectoryView = {
      // One lookup, as permission-service's TenantCopy.parentOf: a value is a parent id or null (a root),
      // so `undefined` from get already means an unknown department.
      parentOf: (id) => departments.get(id),
      employee: (id) => employees.get(id),
      mirrored,
    };
    const tagView: TagView = { tag: (id) => tags.get(id) };
    return { policy: this.policy, directory, tags: tagView };
  }
}
