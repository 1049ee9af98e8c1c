import type { DownstreamAccount, DownstreamGroup } from '../../port/downstream-directory.port';
import { keyOf, type DownstreamChange } from '../../queue/change';

export type DriftKind =
  | 'missing_account'
  | 'extra_account'
  | 'status_mismatch'
  | 'account_details_mismatch'
  | 'group_member_missing'
  | 'group_member_extra'
  | 'missing_group'
  | 'extra_group'
  | 'group_details_mismatch';

export interface DriftItem {
  kind: DriftKind;
  /** The employee id (accounts) or the group (tag) id. */
  subject: string;
  memberId: string;
  expected: string;
  actual: string;
}

/** What a channel wants downstream and what is there; `pending` keys still have queued changes. */
export interface DriftInput {
  desiredAccounts?: DownstreamAccount[];
  actualAccounts?: DownstreamAccount[];
  desiredGroups?: DownstreamGroup[];
  actualGroups?: DownstreamGroup[];
  pending?: ReadonlySet<string>;
}

const status = (a: DownstreamAccount): string => (a.active ? 'active' : 'disabled');
const details = (a: { email: string; displayName: string }): string => `${a.email} "${a.displayName}"`;

/**
 * Compares a channel's desired state with the downstream's listings, item by item. A subject with a change
 * still queued is skipped (it is not drift, only not applied yet) and counted.
 */
export function classifyDrift(input: DriftInput): { items: DriftItem[]; pendingSkipped: number } {
  const items: DriftItem[] = [];
  const pending = input.pending ?? new Set<string>();
  let pendingSkipped = 0;
  const skip = (key: string): boolean => {
    if (!pending.has(key)) return false;
    pendingSkipped++;
    return true;
  };
  const item = (kind: DriftKind, subject: string, expected: string, actual: string, memberId = ''): void => {
    items.push({ kind, subject, memberId, expected, actual });
  };

  if (input.desiredAccounts) {
    const actual = new Map((input.actualAccounts ?? []).map((a) => [a.employeeId, a]));
    const desired = new Map(input.desiredAccounts.map((a) => [a.employeeId, a]));
    for (const want of desired.values()) {
      if (skip(`account/${want.employeeId}`)) continue;
      const have = actual.get(want.employeeId);
      if (!have) item('missing_account', want.employeeId, status(want), 'absent');
      else if (have.active !== want.active)
        item('status_mismatch', want.employeeId, status(want), status(have));
      else if (have.email !== want.email || have.displayName !== want.displayName)
        item('account_details_mismatch', want.employeeId, details(want), details(have));
    }
    for (const have of actual.values())
      if (!desired.has(have.employeeId) && !skip(`account/${have.employeeId}`))
        item('extra_account', have.employeeId, 'absent', status(have));
  }

  if (input.desiredGroups) {
    const actual = new Map((input.actualGroups ?? []).map((g) => [g.groupId, g]));
    const desired = new Map(input.desiredGroups.map((g) => [g.groupId, g]));
    for (const want of desired.values()) {
      if (skip(`group/${want.groupId}`)) continue;
      const have = actual.get(want.groupId);
      if (!have) {
        item('missing_group', want.groupId, `${want.memberEmployeeIds.length} members`, 'absent');
        continue;
      }
      if (have.email !== want.email || have.displayName !== want.displayName)
        item('group_details_mismatch', want.groupId, details(want), details(have));
      const haveMembers = new Set(have.memberEmployeeIds);
      const wantMembers = new Set(want.memberEmployeeIds);
      for (const m of want.memberEmployeeIds)
        if (!haveMembers.has(m)) item('group_member_missing', want.groupId, 'member', 'absent', m);
      for (const m of have.memberEmployeeIds)
        if (!wantMembers.has(m)) item('group_member_extra', want.groupId, 'absent', 'member', m);
    }
    for (const have of actual.values())
      if (!desired.has(have.groupId) && !skip(`group/${have.groupId}`))
        item('extra_group', have.groupId, 'absent', `${have.memberEmployeeIds.length} members`);
  }
  return { items, pendingSkipped };
}

/**
 * The changes that set the items right, one per subject: the desired whole state (upsert), an extra
 * group removed, an extra active account disabled (accounts are never deleted).
 */
export function repairsFor(
  items: DriftItem[],
  desired: { accounts?: DownstreamAccount[]; groups?: DownstreamGroup[] },
): DownstreamChange[] {
  const accounts = new Map((desired.accounts ?? []).map((a) => [a.employeeId, a]));
  const groups = new Map((desired.groups ?? []).map((g) => [g.groupId, g]));
  const out = new Map<string, DownstreamChange>();
  const add = (change: DownstreamChange | undefined): void => {
    if (change && !out.has(keyOf(change))) out.set(keyOf(change), change);
  };
  for (const i of items) {
    switch (i.kind) {
      case 'missing_account':
      case 'status_mismatch':
      case 'account_details_mismatch': {
        const account = accounts.get(i.subject);
        add(account && { op: 'upsertAccount', account });
        break;
      }
      case 'extra_account':
        if (i.actual === 'active') add({ op: 'setAccountActive', employeeId: i.subject, active: false });
        break;
      case 'extra_group':
        add({ op: 'removeGroup', groupId: i.subject });
        break;
      default: {
        const group = groups.get(i.subject);
        add(group && { op: 'upsertGroup', group });
      }
    }
  }
  return [...out.values()];
}

export interface ResyncCounts {
  accountsCreated: number;
  accountsStatusChanged: number;
  accountsUpdated: number;
  extraAccountsDisabled: number;
  groupsCreated: number;
  groupsUpdated: number;
  groupsRemoved: number;
  unchanged: number;
}

/** What a resync of `pushed` changes sets right, by the comparison at its start. */
export function resyncCounts(items: DriftItem[], pushed: number): ResyncCounts {
  const count = (kind: DriftKind) => items.filter((i) => i.kind === kind).length;
  const groupsUpdated = new Set(
    items
      .filter((i) =>
        ['group_member_missing', 'group_member_extra', 'group_details_mismatch'].includes(i.kind),
      )
      .map((i) => i.subject),
  ).size;
  const counts = {
    accountsCreated: count('missing_account'),
    accountsStatusChanged: count('status_mismatch'),
    accountsUpdated: count('account_details_mismatch'),
    extraAccountsDisabled: items.filter((i) => i.kind === 'extra_account' && i.actual === 'active').length,
    groupsCreated: count('missing_group'),
    groupsUpdated,
    groupsRemoved: count('extra_group'),
  };
  const changed = Object.values(counts).reduce((a, b) => a + b, 0);
  return { ...counts, unchanged: Math.max(0, pushed - changed) };
}
