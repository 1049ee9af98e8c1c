import type { PermissionActionV1, PermissionRuleV1 } from '@tagguard/contracts';
import { groupsOfTag, orderedRules, rolesOf, ruleResourceCovers, ruleSubjectCovers } from '../matching';
import type { Snapshot } from '../model';
import { ruleActionCovers, ruleInLane, type Lane } from './universe';

export type PathStep = {
  position: number;
  ruleId: string;
  effect: PermissionRuleV1['effect'];
  starred: boolean;
  description: string;
  /** decided: the first rule that applies; overridden: a later one with the other effect; agrees: same effect. */
  role: 'decided' | 'overridden' | 'agrees';
};

export type LanePath = {
  lane: Lane;
  /** The rules of this lane that apply, in tree order; the first decided. */
  path: PathStep[];
  outcome: 'grant' | 'deny' | 'none';
};

export type AccessExplanation = {
  employeeId: string;
  tagId: string;
  action: PermissionActionV1;
  roles: string[];
  /** One path per permission group the tag is in (double overlay: none may deny); one if it is in none. */
  lanes: LanePath[];
  /** What the permission tree says (the check's level 1): deny if a lane denies, grant if one grants, else none. */
  outcome: 'grant' | 'deny' | 'none';
  position: bigint;
};

/** "Why can X see tag C?": the path through the permission tree for one (employee, tag, action). */
export function explainAccess(
  snapshot: Snapshot,
  query: {
    employeeId: string;
    tagId: string;
    action: PermissionActionV1;
    at: number;
    tokenRoles?: readonly string[];
  },
): AccessExplanation {
  const subject = { employeeId: query.employeeId, tokenRoles: query.tokenRoles ?? [] };
  const roles = rolesOf(snapshot, subject, query.at);
  const rules = orderedRules(snapshot);
  const groups = groupsOfTag(snapshot, query.tagId);
  const lanes: Lane[] = groups.length
    ? groups.map((groupId) => ({ tagId: query.tagId, groupId }))
    : [{ tagId: query.tagId, groupId: null }];
  const applying = rules
    .map((rule, position) => ({ rule, position }))
    .filter(
      ({ rule }) =>
        ruleActionCovers(rule, query.action) &&
        ruleSubjectCovers(snapshot, rule, subject, roles) &&
        ruleResourceCovers(snapshot, rule.resource, rule.starred, query.tagId),
    );
  const lanePaths = lanes.map((lane): LanePath => {
    const inLane = applying.filter(({ rule }) => ruleInLane(rule, lane));
    const decider = inLane[0]?.rule;
    return {
      lane,
      path: inLane.map(({ rule, position }, k) => ({
        position,
        ruleId: rule.ruleId,
        effect: rule.effect,
        starred: rule.starred,
        description: rule.description,
        role: k === 0 ? 'decided' : rule.effect === decider!.effect ? 'agrees' : 'overridden',
      })),
      outcome: decider ? decider.effect : 'none',
    };
  });
  // As the check's double overlay: a deny in any group decides; otherwise a grant in one is enough.
  const outcome = lanePaths.some((l) => l.outcome === 'deny')
    ? 'deny'
    : lanePaths.some((l) => l.outcome === 'grant')
      ? 'grant'
      : 'none';
  return {
    employeeId: query.employeeId,
    tagId: query.tagId,
    action: query.action,
    roles: [...roles].sort(),
    lanes: lanePaths,
    outcome,
    position: snapshot.policy.position,
  };
}
