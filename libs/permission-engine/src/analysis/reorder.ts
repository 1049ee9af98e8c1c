import type { PermissionRuleV1 } from '@tagguard/contracts';
import { partitionRule } from './regions';
import type { Lane, Universe } from './universe';

export type Verdict = 'equivalent' | 'more_permissive' | 'less_permissive' | 'incomparable';

/** A product of (employees × lanes × actions) whose deciding rule changes, and how. */
export type OutcomeChange = {
  employeeIds: string[];
  lanes: Lane[];
  actions: string[];
  from: { effect: PermissionRuleV1['effect']; ruleId: string };
  to: { effect: PermissionRuleV1['effect']; ruleId: string };
  /** employeeIds × lanes × actions */
  pairs: number;
};

export type ReorderPreview = {
  verdict: Verdict;
  order: string[];
  changes: OutcomeChange[];
  /** Pairs that go from deny to grant, and from grant to deny. */
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
 * What a new order of the same rules changes, exactly. A (subject, lane, action) can change only where two
 * rules that swapped both apply, so only the moved rules' sets are partitioned, each against the rules
 * that can decide before it in either order; a cell shared by two moved rules is counted once (by the
 * first). Verdict: no change → equivalent; only deny→grant → more permissive; only grant→deny → less.
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
  const changes: OutcomeChange[] = [];
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
      const from = u.rules[before]!;
      const to = u.rules[after]!;
      if (from.effect === to.effect) continue;
      const employeeIds = region.subjects.flatMap((c) => u.subjects[c]!.employeeIds);
      const lanes = region.resources.flatMap((c) => u.resources[c]!.lanes);
      const actions = region.actions.flatMap((c) => u.actions[c]!.actions);
      changes.push({
        employeeIds,
        lanes,
        actions,
        from: { effect: from.effect, ruleId: from.ruleId },
        to: { effect: to.effect, ruleId: to.ruleId },
        pairs: employeeIds.length * lanes.length * actions.length,
      });
    }
    done.add(target);
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
