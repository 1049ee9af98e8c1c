import type { PermissionRuleV1 } from '@tagguard/contracts';
import { partitionRule } from './regions';
import { laneKey, type Lane, type Universe } from './universe';

export type Verdict = 'equivalent' | 'more_permissive' | 'less_permissive' | 'incomparable';

/**
 * A product of (employees × tags × actions) whose combined outcome (all the tags' lanes by the overlay rule,
 * the check's level 1) changes, and how; from/to: the rule deciding it (a deny: the first denying lane's).
 */
export type OutcomeChange = {
  employeeIds: string[];
  /** The lanes of the tags (every permission group of each), for the why-path; not counted separately. */
  lanes: Lane[];
  tagIds: string[];
  actions: string[];
  from: { effect: PermissionRuleV1['effect']; ruleId: string };
  to: { effect: PermissionRuleV1['effect']; ruleId: string };
  /** employeeIds × tagIds × actions (a tag in two groups counts once) */
  pairs: number;
};

export type ReorderPreview = {
  verdict: Verdict;
  order: string[];
  changes: OutcomeChange[];
  /** (employee, tag, action) that go from deny to grant, and from grant to deny. */
  granted: number;
  revoked: number;
};

export class ReorderError extends Error {
  constructor(
    readonly code: 'ANALYSIS.UNKNOWN_RULE' | 'ANALYSIS.POSITION_OUT_OF_RANGE' | 'ANALYSIS.NOT_A_PERMUTATION',
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The order after moving each rule, in turn, to its target position (0 = top; at or past the end: the
 * bottom, as MoveRule). Errors name the domain field (`moves[i].ruleId`, `moves[i].position`).
 */
export function orderAfterMoves(
  u: Universe,
  moves: readonly { ruleId: string; toPosition: number }[],
): string[] {
  const order = u.rules.map((r) => r.ruleId);
  moves.forEach((m, i) => {
    const from = order.indexOf(m.ruleId);
    if (from < 0)
      throw new ReorderError(
        'ANALYSIS.UNKNOWN_RULE',
        `moves[${i}].ruleId`,
        `no rule "${m.ruleId}" in the tree`,
      );
    if (!Number.isInteger(m.toPosition) || m.toPosition < 0)
      throw new ReorderError(
        'ANALYSIS.POSITION_OUT_OF_RANGE',
        `moves[${i}].position`,
        `position ${m.toPosition} is not 0 or more`,
      );
    order.splice(from, 1);
    order.splice(Math.min(m.toPosition, order.length), 0, m.ruleId);
  });
  return order;
}

/** Rules outside a longest run kept in relative order: every pair that swapped has one of them. */
function movedRules(newPosition: number[]): number[] {
  const n = newPosition.length;
  // Longest increasing subsequence of new positions in old order (patience sorting with back links).
  const tails: number[] = [];
  const prev = new Array<number>(n).fill(-1);
  for (let i = 0; i < n; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newPosition[tails[mid]!]! < newPosition[i]!) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1]!;
    tails[lo] = i;
  }
  const kept = new Set<number>();
  for (let i = tails.length ? tails[tails.length - 1]! : -1; i >= 0; i = prev[i]!) kept.add(i);
  return [...Array(n).keys()].filter((i) => !kept.has(i));
}

/**
 * What a new order of the same rules changes, exactly, per (employee, tag, action) — the check's level 1,
 * not per lane. A lane (tag × permission group) can change only where two rules that swapped both apply,
 * so only the moved rules' sets are partitioned, each against the rules that can decide before it in
 * either order. The lanes of each tag touched are then combined by the overlay rule (check.ts, D56: any
 * group's deny denies; else any grant grants), so a tag in two groups counts once, and a lane flipping to
 * grant while another group still denies changes nothing. Verdict: no change → equivalent; only
 * deny→grant → more permissive; only grant→deny → less.
 */
export function previewOrder(u: Universe, order: readonly string[]): ReorderPreview {
  const n = u.rules.length;
  if (order.length !== n || new Set(order).size !== n || order.some((id) => !u.positionOf.has(id)))
    throw new ReorderError(
      'ANALYSIS.NOT_A_PERMUTATION',
      'rule_ids',
      'the new order must list every rule of the tree once',
    );
  const newPosition = new Array<number>(n);
  order.forEach((id, k) => (newPosition[u.positionOf.get(id)!] = k));
  const moved = movedRules(newPosition);
  // (subject class, tag, action class) where some lane's deciding effect changes.
  const touched = new Map<string, { subject: number; tagId: string; action: number }>();
  const done = new Set<number>();
  for (const target of moved) {
    // Rules that may decide before the target in one order or the other; later rules never decide here.
    let horizon = target;
    for (let i = 0; i < n; i++) if (newPosition[i]! <= newPosition[target]! && i > horizon) horizon = i;
    // Targets go top-down, so every target already done is above this one and asked: a shared cell is skipped.
    const involved = (i: number) => i <= horizon || newPosition[i]! <= newPosition[target]!;
    const regions = partitionRule(u, target, involved, true);
    for (const region of regions) {
      if (region.applicable.some((i) => done.has(i))) continue;
      const before = region.applicable[0]!;
      const after = region.applicable.reduce((a, b) => (newPosition[b]! < newPosition[a]! ? b : a));
      if (u.rules[before]!.effect === u.rules[after]!.effect) continue;
      for (const subject of region.subjects)
        for (const rc of region.resources)
          for (const lane of u.resources[rc]!.lanes)
            for (const action of region.actions)
              touched.set(`${subject}|${lane.tagId}|${action}`, { subject, tagId: lane.tagId, action });
    }
    done.add(target);
  }

  const lanesOf = new Map<string, Lane[]>();
  for (const c of u.resources)
    for (const l of c.lanes) lanesOf.set(l.tagId, [...(lanesOf.get(l.tagId) ?? []), l]);
  for (const lanes of lanesOf.values())
    lanes.sort((a, b) => (a.groupId ?? '').localeCompare(b.groupId ?? ''));
  /** The tag's combined outcome in an order (rank: rule index → position), with the rule that decides it. */
  const combined = (subject: number, tagId: string, action: number, rank: (i: number) => number) => {
    let deny: number | null = null;
    let grant: number | null = null;
    for (const lane of lanesOf.get(tagId) ?? []) {
      const rc = u.resourceClassOf.get(laneKey(lane))!;
      let first = -1;
      for (let i = 0; i < n; i++) {
        const set = u.sets[i]!;
        if (!set.subjects.has(subject) || !set.resources.has(rc) || !set.actions.has(action)) continue;
        if (first < 0 || rank(i) < rank(first)) first = i;
      }
      if (first < 0) continue;
      if (u.rules[first]!.effect === 'deny') deny ??= first;
      else grant ??= first;
    }
    return deny ?? grant;
  };
  const changes: OutcomeChange[] = [];
  for (const { subject, tagId, action } of touched.values()) {
    const before = combined(subject, tagId, action, (i) => i);
    const after = combined(subject, tagId, action, (i) => newPosition[i]!);
    if (before === null || after === null) continue; // a lane that changed has a rule in both orders
    const from = u.rules[before]!;
    const to = u.rules[after]!;
    if (from.effect === to.effect) continue;
    const employeeIds = u.subjects[subject]!.employeeIds;
    const actions = u.actions[action]!.actions;
    changes.push({
      employeeIds,
      lanes: lanesOf.get(tagId)!,
      tagIds: [tagId],
      actions,
      from: { effect: from.effect, ruleId: from.ruleId },
      to: { effect: to.effect, ruleId: to.ruleId },
      pairs: employeeIds.length * actions.length,
    });
  }
  const granted = changes.filter((c) => c.to.effect === 'grant').reduce((s, c) => s + c.pairs, 0);
  const revoked = changes.filter((c) => c.to.effect === 'deny').reduce((s, c) => s + c.pairs, 0);
  const verdict: Verdict =
    granted === 0 && revoked === 0
      ? 'equivalent'
      : revoked === 0
        ? 'more_permissive'
        : granted === 0
          ? 'less_permissive'
          : 'incomparable';
  return { verdict, order: [...order], changes, granted, revoked };
}

/** Moving one rule (or several, in turn) to a position: the preview of the resulting order. */
export function previewMoves(
  u: Universe,
  moves: readonly { ruleId: string; toPosition: number }[],
): ReorderPreview {
  return previewOrder(u, orderAfterMoves(u, moves));
}
