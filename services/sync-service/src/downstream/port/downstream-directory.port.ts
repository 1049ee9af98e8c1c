/**
 * The one port every downstream directory connector implements (LDAP, Exmail-style API, SCIM 2.0): the
 * channels (employees → mail accounts, tags → mail groups) speak only this, and drift detection reads
 * through it. Every write is idempotent (an upsert of the whole desired state, or a no-op when already
 * so), so a retried or replayed change is harmless. An unreachable downstream throws
 * DownstreamUnavailableError (the caller queues and retries); a refused request throws DownstreamRejectedError.
 */

export type DownstreamAccount = {
  /** The directory's employee id (WeCom userid): the account's stable key downstream. */
  employeeId: string;
  /** The mailbox address. */
  email: string;
  displayName: string;
  /** false: locked / disabled; a departed employee's account is disabled, never deleted. */
  active: boolean;
};

export type DownstreamGroup = {
  /** TagGuard's stable key: the tag id. */
  groupId: string;
  displayName: string;
  /** The group's own address (mail group). */
  email: string;
  /** Member accounts by employee id, sorted, no duplicates. */
  memberEmployeeIds: string[];
};

export interface DownstreamDirectory {
  /** 'ldap' | 'exmail' | 'scim', for logs, health and channel state. */
  readonly kind: string;
  /** Creates the account or brings it to exactly this state (including active/locked). */
  upsertAccount(account: DownstreamAccount): Promise<void>;
  /** Sets only the active flag; throws DownstreamRejectedError(code 'not_found') for an unknown account. */
  setAccountActive(employeeId: string, active: boolean): Promise<void>;
  /** Creates the group or brings it to exactly these members (members must exist as accounts). */
  upsertGroup(group: DownstreamGroup): Promise<void>;
  /** Removes the group; a no-op when absent. Accounts are never removed through this port. */
  removeGroup(groupId: string): Promise<void>;
  /** Every account TagGuard manages there, for drift detection and resync (order unspecified). */
  listAccounts(): AsyncIterable<DownstreamAccount>;
  listGroups(): AsyncIterable<DownstreamGroup>;
  /** Releases connections. */
  close(): Promise<void>;
}

export class DownstreamUnavailableError extends Error {
  constructor(
    readonly kind: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(`${kind} unavailable: ${message}`);
  }
}

export class DownstreamRejectedError extends Error {
  constructor(
    readonly kind: string,
    readonly code: 'not_found' | 'invalid' | 'conflict' | 'unauthorized' | 'other',
    message: string,
  ) {
    super(`${kind} rejected (${code}): ${message}`);
  }
}
