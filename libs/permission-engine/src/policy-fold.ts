import type { PermissionIntegrationEventV1, RoleAssignmentV1 } from '@tagguard/contracts';
import type { PolicyState } from './model';

export function emptyPolicy(tenantId: string): PolicyState {
  return {
    tenantId,
    roles: new Map(),
    assignments: new Map(),
    groups: new Map(),
    rules: new Map(),
    order: [],
    words: new Map(),
    freezes: new Map(),
    position: 0n,
  };
}

/**
 * Objects' revisions folded so far, so a replayed or reordered older event is ignored (fat events); and,
 * per role once removed, the store positions that bound its current definition (`role-removed/<id>`: its
 * last removal; `role-since/<id>`: the definition that followed it), which void a straggler assignment.
 */
export type FoldRevisions = Map<string, bigint>;

const removedAtKey = (roleId: string) => `role-removed/${roleId}`;
const sinceKey = (roleId: string) => `role-since/${roleId}`;
/** The current definition's `definedSince` as its role event published it (absent: not carried, or removed). */
const definitionKey = (roleId: string) => `role-definition/${roleId}`;

/**
 * Whether an assignment written at `position` holds its role's current definition (D80). Once a role has
 * been removed, only an assignment written after the definition that followed the removal does: one written
 * before the removal, or while the role stood removed (an AssignRole racing RemoveRole), never applies
 * again, whichever order the events are folded in, so a role defined again starts with no holders.
 */
function holdsCurrentDefinition(
  assignment: RoleAssignmentV1,
  position: bigint,
  revisions: FoldRevisions,
): boolean {
  const { roleId, roleDefinedSince } = assignment;
  // Both events carry the definition (D80): the facts of the two latest rows decide, in any order and
  // without history (tag-service's copy keeps only each object's latest row).
  const definition = revisions.get(definitionKey(roleId));
  if (roleDefinedSince !== undefined && definition !== undefined)
    return BigInt(roleDefinedSince) === definition;
  const removedAt = revisions.get(removedAtKey(roleId));
  if (removedAt === undefined) return true;
  const since = revisions.get(sinceKey(roleId));
  return position > removedAt && since !== undefined && position > since;
}

function upsert<T>(map: ReadonlyMap<string, T>, id: string, value: T | null): Map<string, T> {
  const next = new Map(map);
  if (value === null) next.delete(id);
  else next.set(id, value);
  return next;
}

/**
 * Folds one policy event into the state, copy-on-write per map (a decision in flight keeps the state it
 * started with). Idempotent: an event at or below the object's folded revision changes nothing.
 */
export function applyPolicyEvent(
  state: PolicyState,
  event: PermissionIntegrationEventV1,
  revisions: FoldRevisions,
): PolicyState {
  const d = event.data;
  const key = objectKey(event);
  const revision = BigInt(d.revision);
  const held = revisions.get(key);
  const position = BigInt(d.position) > state.position ? BigInt(d.position) : state.position;
  if (held !== undefined && revision <= held) return state;
  revisions.set(key, revision);
  switch (event.type) {
    case 'permission.role_changed.v1': {
      const roleId = event.data.roleId;
      const at = BigInt(d.position);
      if (event.data.removed) {
        revisions.set(removedAtKey(roleId), at);
        revisions.delete(sinceKey(roleId));
      } else if (!state.roles.has(roleId) && revisions.has(removedAtKey(roleId))) {
        revisions.set(sinceKey(roleId), at);
      }
      const definedSince = event.data.removed ? undefined : event.data.definedSince;
      if (definedSince === undefined) revisions.delete(definitionKey(roleId));
      else revisions.set(definitionKey(roleId), BigInt(definedSince));
      // A removed role takes its assignments with it (D80): permission-service ends them with events,
      // but one written concurrently with the removal, or before it cascaded, must not revive with a
      // role later defined again under the same id.
      // A definition that publishes where it began also drops an assignment folded earlier that was made
      // against another definition (a straggler whose role's removal this copy never folded).
      const orphaned = [...state.assignments.values()].filter(
        (a) =>
          a.roleId === roleId &&
          (event.data.removed ||
            (definedSince !== undefined &&
              a.roleDefinedSince !== undefined &&
              a.roleDefinedSince !== definedSince)),
      );
      let assignments = state.assignments;
      if (orphaned.length > 0) {
        const next = new Map(assignments);
        for (const a of orphaned) next.delete(a.assignmentId);
        assignments = next;
      }
      return {
        ...state,
        position,
        roles: upsert(state.roles, roleId, event.data.removed ? null : event.data),
        assignments,
      };
    }
    case 'permission.role_assignment_changed.v1': {
      const held = !event.data.removed && holdsCurrentDefinition(event.data, BigInt(d.position), revisions);
      return {
        ...state,
        position,
        assignments: upsert(state.assignments, event.data.assignmentId, held ? event.data : null),
      };
    }
    case 'permission.group_changed.v1':
      return {
        ...state,
        position,
        groups: upsert(state.groups, event.data.groupId, event.data.removed ? null : event.data),
      };
    case 'permission.rule_changed.v1':
      return {
        ...state,
        position,
        rules: upsert(state.rules, event.data.ruleId, event.data.removed ? null : event.data),
      };
    case 'permission.rules_reordered.v1':
      return { ...state, position, order: [...event.data.ruleIds] };
    case 'permission.sensitive_word_changed.v1':
      return {
        ...state,
        position,
        words: upsert(state.words, event.data.wordId, event.data.removed ? null : event.data),
      };
    case 'permission.freeze_changed.v1':
      return {
        ...state,
        position,
        freezes: upsert(state.freezes, event.data.actorId, event.data.frozen ? event.data : null),
      };
  }
}

function objectKey(event: PermissionIntegrationEventV1): string {
  switch (event.type) {
    case 'permission.role_changed.v1':
      return `role/${event.data.roleId}`;
    case 'permission.role_assignment_changed.v1':
      return `assignment/${event.data.assignmentId}`;
    case 'permission.group_changed.v1':
      return `group/${event.data.groupId}`;
    case 'permission.rule_changed.v1':
      return `rule/${event.data.ruleId}`;
    case 'permission.rules_reordered.v1':
      return 'rule-order';
    case 'permission.sensitive_word_changed.v1':
      return `word/${event.data.wordId}`;
    case 'permission.freeze_changed.v1':
      return `freeze/${event.data.actorId}`;
  }
}
