import type {
  DownstreamAccount,
  DownstreamDirectory,
  DownstreamGroup,
} from '../port/downstream-directory.port';

/** One queued change: a whole desired state (idempotent), so a retried or replayed change is harmless. */
export type DownstreamChange =
  | { op: 'upsertAccount'; account: DownstreamAccount }
  | { op: 'setAccountActive'; employeeId: string; active: boolean }
  | { op: 'upsertGroup'; group: DownstreamGroup }
  | { op: 'removeGroup'; groupId: string };

/** The order key: changes with the same key apply in the order they were queued. */
export function keyOf(change: DownstreamChange): string {
  switch (change.op) {
    case 'upsertAccount':
      return `account/${change.account.employeeId}`;
    case 'setAccountActive':
      return `account/${change.employeeId}`;
    case 'upsertGroup':
      return `group/${change.group.groupId}`;
    case 'removeGroup':
      return `group/${change.groupId}`;
  }
}

export function applyTo(port: DownstreamDirectory, change: DownstreamChange): Promise<void> {
  switch (change.op) {
    case 'upsertAccount':
      return port.upsertAccount(change.account);
    case 'setAccountActive':
      return port.setAccountActive(change.employeeId, change.active);
    case 'upsertGroup':
      return port.upsertGroup(change.group);
    case 'removeGroup':
      return port.removeGroup(change.groupId);
  }
}
