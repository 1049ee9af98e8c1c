import type { CommandBase } from '../../domain/catalog-guards';
import type { GuardedOperation, TagCatalogEvent } from '../../domain/tag-catalog.events';
import type { TagCatalogState } from '../../domain/tag-catalog.state';

/**
 * The gate a change to a protected tag goes through: it waits for a second person instead of running.
 * Kept apart from approvals.decider, which runs the approved change, so the gate's users import no cycle.
 */
export function requestApproval(
  state: TagCatalogState,
  data: CommandBase,
  operation: GuardedOperation,
  approvalId: string,
): TagCatalogEvent {
  const expiresAt = new Date(Date.parse(data.now) + state.policy.approvalTtlHours * 3_600_000).toISOString();
  return {
    type: 'ApprovalRequested',
    data: {
      approvalId,
      operation,
      requestedBy: data.actor.actorId,
      requestedByDepartment: data.actor.departmentId,
      requestedAt: data.now,
      expiresAt,
    },
  };
}
