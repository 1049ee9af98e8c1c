import type { TagCatalogEvent } from '../../domain/tag-catalog.events';
import {
  base,
  catalogSpec,
  deleteRequested,
  now,
  other,
  protectedTag,
} from '../../../testing/catalog-decider.fixtures';
import { decideApprovals } from './approvals.decider';

const spec = catalogSpec(decideApprovals);
const pending = [...protectedTag, deleteRequested];

describe('approvals: four eyes', () => {
  it('given a pending approval, when the requester approves it, then PERMISSION_DENIED', () => {
    spec(pending)
      .when({
        type: 'ApproveOperation',
        data: { ...base, approvalId: 'ap-1', memberCounts: {}, operationId: 'op-2' },
      })
      .thenThrows({ code: 'TAG.PERMISSION_DENIED', field: 'approval_id' });
  });

  it('given a pending delete of 250 members, when a second admin approves, then it executes, is reported as approved, and nobody is frozen', () => {
    spec(pending)
      .when({
        type: 'ApproveOperation',
        data: { actor: other, now, approvalId: 'ap-1', memberCounts: { t1: 250 }, operationId: 'op-2' },
      })
      .then([
        { type: 'ApprovalGranted', data: { approvalId: 'ap-1', by: 'admin-2' } },
        expect.objectContaining({
          type: 'NodesBinned',
          data: expect.objectContaining({ deletedBy: 'admin-1' }),
        }),
        expect.objectContaining({
          type: 'SensitiveOperationDetected',
          data: expect.objectContaining({
            level: 'critical',
            approvedBy: 'admin-2',
            actorDepartment: 'dept-east',
          }),
        }),
        expect.objectContaining({ type: 'NotificationRequested' }),
        expect.objectContaining({ type: 'NotificationRequested' }),
      ] as TagCatalogEvent[]);
  });

  it('given an expired approval, when approved, then APPROVAL_EXPIRED; the sweep records the expiry', () => {
    const later = '2026-11-25T10:00:00.000Z';
    spec(pending)
      .when({
        type: 'ApproveOperation',
        data: { actor: other, now: later, approvalId: 'ap-1', memberCounts: {}, operationId: 'op-2' },
      })
      .thenThrows({ code: 'TAG.APPROVAL_EXPIRED' });
    spec(pending)
      .when({ type: 'ExpireApprovals', data: { ...base, now: later } })
      .then([{ type: 'ApprovalExpired', data: { approvalId: 'ap-1' } }]);
  });

  it('given a rejected approval, when approved, then FAILED_PRECONDITION', () => {
    spec([
      ...pending,
      { type: 'ApprovalRejected', data: { approvalId: 'ap-1', by: 'admin-2', reason: 'no' } },
    ])
      .when({
        type: 'ApproveOperation',
        data: { actor: other, now, approvalId: 'ap-1', memberCounts: {}, operationId: 'op-2' },
      })
      .thenThrows({ code: 'TAG.FAILED_PRECONDITION' });
  });
});
