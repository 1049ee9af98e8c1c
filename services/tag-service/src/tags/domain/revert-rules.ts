import type { MemberRef, RevertRule } from './tag-catalog.events';

export interface Violation {
  ruleId: string;
  /** Members whose removal is undone. */
  members: MemberRef[];
  reason: string;
}

/**
 * The preset rules against one accepted removal, whatever its source (API, sync, a race between two
 * callers). `removedBefore` counts what the same actor removed in the hour before it. A violation is
 * undone by a compensating event; history is never rewritten.
 */
export function violationsOf(input: {
  rules: RevertRule[];
  tagId: string;
  actorId: string;
  actorRoles: string[];
  removed: MemberRef[];
  removedBefore: number;
}): Violation[] {
  const out: Violation[] = [];
  let remaining = input.removed;
  for (const rule of input.rules.filter((r) => r.tagId === input.tagId)) {
    if (remaining.length === 0) break;
    if (rule.type === 'removal_requires_role' && !input.actorRoles.includes(rule.role)) {
      out.push({
        ruleId: rule.ruleId,
        members: remaining,
        reason: `${input.actorId} lacks role ${rule.role} to remove members of this tag`,
      });
      remaining = [];
    } else if (rule.type === 'removal_rate_limit') {
      const allowed = Math.max(0, rule.maxPerHour - input.removedBefore);
      if (remaining.length > allowed) {
        out.push({
          ruleId: rule.ruleId,
          members: remaining.slice(allowed),
          reason: `${input.actorId} may remove at most ${rule.maxPerHour} members per hour (${input.removedBefore} before this)`,
        });
        remaining = remaining.slice(0, allowed);
      }
    }
  }
  return out;
}
