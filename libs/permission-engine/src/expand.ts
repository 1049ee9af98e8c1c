import type { PermissionActionV1, PermissionRuleV1, RoleAssignmentV1 } from '@tagguard/contracts';
import { candidateLists, isWriteAction, kindMismatch, TENANT_ADMIN, tagPlace } from './check';
import { actionMatches, tagAncestors } from './matching';
import type { Snapshot, TagVisibility } from './model';
import { compiledPolicy, type IndexedRule } from './policy-index';

export type ExpandRule = Pick<PermissionRuleV1, 'ruleId' | 'effect' | 'subject' | 'starred' | 'actions'> & {
  position: number;
};

/**
 * The tree of reasons for (tag, action): who is granted or denied by what, subject-independent.
 * `all_of`: every child must admit; `any_of`: one child suffices; `first_match`: the rules in tree order,
 * the first whose subject covers a caller decides for them (none: passes).
 */
export type ExpandNode =
  | { kind: 'all_of'; label: string; children: ExpandNode[] }
  | { kind: 'any_of'; label: string; children: ExpandNode[] }
  | { kind: 'first_match'; label: string; groupId: string | null; rules: ExpandRule[] }
  | {
      kind: 'role';
      roleId: string;
      scopes: string[];
      holders: Pick<RoleAssignmentV1, 'assignmentId' | 'subject' | 'expiresAt'>[];
    }
  | { kind: 'visibility'; tagId: string; visibility: TagVisibility }
  | { kind: 'leaf'; label: string; ids: string[] };

function rulesFor(lists: (readonly IndexedRule[])[], action: PermissionActionV1): ExpandRule[] {
  const seen = new Set<string>();
  return lists
    .flat()
    .filter((e) => e.rule.actions.length === 0 || e.rule.actions.some((p) => actionMatches(p, action)))
    .sort((a, b) => a.position - b.position)
    .filter((e) => !seen.has(e.rule.ruleId) && !!seen.add(e.rule.ruleId))
    .map(({ rule, position }) => ({
      ruleId: rule.ruleId,
      effect: rule.effect,
      subject: rule.subject,
      starred: rule.starred,
      actions: rule.actions,
      position,
    }));
}

export function expand(snapshot: Snapshot, tagId: string, action: PermissionActionV1): ExpandNode {
  const compiled = compiledPolicy(snapshot);
  const place = tagPlace(snapshot, compiled, tagId);
  const freezes = [...snapshot.policy.freezes.values()].filter((f) => f.frozen).map((f) => f.actorId);
  const freeze: ExpandNode = isWriteAction(action)
    ? {
        kind: 'leaf',
        label: 'freeze: these actors are denied every write (until their freeze ends)',
        ids: freezes.sort(),
      }
    : { kind: 'leaf', label: 'freeze: reads are never frozen', ids: [] };
  const department: ExpandNode =
    place.groups.length === 0
      ? {
          kind: 'first_match',
          label: 'department inheritance',
          groupId: null,
          rules: rulesFor(candidateLists(compiled, tagId, place, null), action),
        }
      : {
          kind: 'all_of',
          label: `department inheritance, double overlay: no permission group may deny`,
          children: place.groups.map((groupId) => ({
            kind: 'first_match' as const,
            label: `permission group ${groupId}`,
            groupId,
            rules: rulesFor(candidateLists(compiled, tagId, place, groupId), action),
          })),
        };
  const mismatch = kindMismatch(snapshot, action, tagId);
  const role: ExpandNode = mismatch
    ? { kind: 'any_of', label: `role scope: ${mismatch.reason}: no role covers it`, children: [] }
    : snapshot.policy.roles.size === 0
      ? isWriteAction(action)
        ? {
            kind: 'leaf',
            label: 'role scope: the tenant defines no role; writes need tenant_admin',
            ids: [TENANT_ADMIN],
          }
        : { kind: 'leaf', label: 'role scope: the tenant defines no role; views pass', ids: [] }
      : {
          kind: 'any_of',
          label: `role scope: a role held must cover ${action}`,
          children: [
            { kind: 'leaf', label: 'token role', ids: [TENANT_ADMIN] },
            ...[...snapshot.policy.roles.values()]
              .filter((r) => r.scopes.some((s) => actionMatches(s, action)))
              .sort((a, b) => (a.roleId < b.roleId ? -1 : 1))
              .map((r) => ({
                kind: 'role' as const,
                roleId: r.roleId,
                scopes: r.scopes,
                holders: [...snapshot.policy.assignments.values()]
                  .filter((a) => a.roleId === r.roleId)
                  .map(({ assignmentId, subject, expiresAt }) => ({ assignmentId, subject, expiresAt })),
              })),
          ],
        };
  const visibility: ExpandNode = {
    kind: 'all_of',
    label: 'tag visibility: the tag and each tag group above it must admit the caller (tenant_admin passes)',
    children: [tagId, ...tagAncestors(snapshot.tags, tagId)].flatMap((id) => {
      const facts = snapshot.tags.tag(id);
      return facts ? [{ kind: 'visibility' as const, tagId: id, visibility: facts.visibility }] : [];
    }),
  };
  const words: ExpandNode = {
    kind: 'leaf',
    label: 'sensitive words: masks fields, never denies',
    ids: [...snapshot.policy.words.keys()].sort(),
  };
  return {
    kind: 'all_of',
    label: `${action} on ${tagId}`,
    children: [freeze, department, role, visibility, words],
  };
}
