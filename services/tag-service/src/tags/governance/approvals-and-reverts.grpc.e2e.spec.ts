import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { comparePositions, positionFromToken } from '@tagguard/event-store';
import { eventually, testInfra } from '@tagguard/testing';
import { Client } from 'pg';
import { customer, customers, TagServiceHarness, type Caller } from '../../testing/tag-service-harness';

type Result = {
  result: {
    tagId: string;
    consistencyToken: string;
    pendingApproval?: { approvalId: string; status: string; operation: string };
  };
};
type MembersResult = {
  result: {
    items: { outcome: string }[];
    pendingApproval?: { approvalId: string };
    consistencyToken: string;
  };
};

describe('four-eyes approval and auto-revert over gRPC', () => {
  let svc: TagServiceHarness;
  let first: Caller;
  let second: Caller;
  beforeAll(async () => {
    svc = await TagServiceHarness.start();
  });
  afterAll(() => svc?.stop());
  beforeEach(() => {
    first = TagServiceHarness.admin(undefined, 'assistant-1');
    second = { ...first, actorId: 'supervisor-1' };
  });
  const protectedTag = async (members: number) => {
    const tagId = randomUUID();
    await svc.call('tags', 'CreateTag', { tagId, name: 'VIP客户', kind: 'TAG_KIND_CUSTOMER' }, first);
    if (members) await svc.call('members', 'AddMembers', { tagId, members: customers(members) }, first);
    await svc.call('tags', 'SetTagProtection', { tagId, protected: true, expectedRevision: '0' }, first);
    return tagId;
  };
  /** Whether the revert process's saved checkpoint is at or past the position of a write's token. */
  const revertCheckpointPassed = async (token: string): Promise<boolean> => {
    const db = new Client({ connectionString: testInfra().postgresUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ commit: string; prepare: string }>(
        `SELECT commit_position AS commit, prepare_position AS prepare FROM "${svc.schema}".checkpoints WHERE name = 'tag-service.revert'`,
      );
      const saved = rows[0] && { commit: BigInt(rows[0].commit), prepare: BigInt(rows[0].prepare) };
      return saved !== undefined && comparePositions(saved, positionFromToken(token)!) >= 0;
    } finally {
      await db.end();
    }
  };
  const memberIds = async (tagId: string, consistencyToken = '') =>
    (
      await svc.call<{ members: { id: string }[] }>(
        'members',
        'ListMembers',
        { tagId, consistencyToken },
        first,
      )
    ).members.map((m) => m.id);

  it('deleting a protected tag waits for a second person; the requester cannot approve; the second person can', async () => {
    const tagId = await protectedTag(3);
    const { result } = await svc.call<Result>('tags', 'DeleteTag', { tagId, expectedRevision: '1' }, first);
    expect(result.pendingApproval).toMatchObject({
      status: 'APPROVAL_STATUS_PENDING',
      operation: 'GUARDED_OPERATION_TYPE_DELETE',
      requestedBy: 'assistant-1',
    });
    const { tag } = await svc.call<{ tag: { status: string } }>(
      'tags',
      'GetTag',
      { tagId, consistencyToken: result.consistencyToken },
      first,
    );
    expect(tag.status).toBe('TAG_STATUS_ACTIVE');
    const approvalId = result.pendingApproval!.approvalId;
    expect(await svc.failure('governance', 'ApproveOperation', { approvalId }, first)).toMatchObject({
      code: status.PERMISSION_DENIED,
      field: 'approval_id',
    });

    const approved = await svc.call<Result>('governance', 'ApproveOperation', { approvalId }, second);
    const after = await svc.call<{ tag: { status: string; deletedBy: string } }>(
      'tags',
      'GetTag',
      { tagId, consistencyToken: approved.result.consistencyToken },
      first,
    );
    expect(after.tag).toMatchObject({ status: 'TAG_STATUS_BINNED', deletedBy: 'assistant-1' });
    const { approvals } = await svc.call<{ approvals: { status: string; decidedBy: string }[] }>(
      'governance',
      'ListApprovals',
      { includeDecided: true },
      first,
    );
    expect(approvals).toEqual([
      expect.objectContaining({ status: 'APPROVAL_STATUS_GRANTED', decidedBy: 'supervisor-1' }),
    ]);
    expect(
      await svc.failure('governance', 'RejectOperation', { approvalId, reason: 'late' }, second),
    ).toMatchObject({ code: status.FAILED_PRECONDITION });
  });

  it('removing members of a protected tag waits for approval; approving executes exactly once, even when approved again', async () => {
    const tagId = await protectedTag(5);
    const { result } = await svc.call<MembersResult>(
      'members',
      'RemoveMembers',
      { tagId, members: customers(2) },
      first,
    );
    expect(result.items.map((i) => i.outcome)).toEqual([
      'ITEM_OUTCOME_PENDING_APPROVAL',
      'ITEM_OUTCOME_PENDING_APPROVAL',
    ]);
    expect(await memberIds(tagId, result.consistencyToken)).toHaveLength(5);
    const approvalId = result.pendingApproval!.approvalId;
    const approved = await svc.call<Result>('governance', 'ApproveOperation', { approvalId }, second);
    expect(await memberIds(tagId, approved.result.consistencyToken)).toEqual(['c0002', 'c0003', 'c0004']);
    const again = await svc.call<Result>('governance', 'ApproveOperation', { approvalId }, second);
    expect(await memberIds(tagId, again.result.consistencyToken)).toEqual(['c0002', 'c0003', 'c0004']);
  });

  it('a rejected request never executes', async () => {
    const tagId = await protectedTag(0);
    const { result } = await svc.call<MembersResult>(
      'members',
      'AddMembers',
      { tagId, members: [customer('c1')] },
      first,
    );
    await svc.call(
      'governance',
      'RejectOperation',
      { approvalId: result.pendingApproval!.approvalId, reason: '不符合规范' },
      second,
    );
    expect(
      await svc.failure(
        'governance',
        'ApproveOperation',
        { approvalId: result.pendingApproval!.approvalId },
        second,
      ),
    ).toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
    expect(await memberIds(tagId)).toEqual([]);
  });

  it('reverts a removal by someone without the required role with a compensating change, and reports it', async () => {
    const tagId = randomUUID();
    await svc.call('tags', 'CreateTag', { tagId, name: '高净值客户', kind: 'TAG_KIND_CUSTOMER' }, first);
    await svc.call('members', 'AddMembers', { tagId, members: customers(4) }, first);
    await svc.call(
      'governance',
      'DefineRevertRule',
      {
        rule: {
          ruleId: 'key-account-only',
          tagId,
          type: 'REVERT_RULE_TYPE_REMOVAL_REQUIRES_ROLE',
          role: 'key_account',
        },
      },
      first,
    );
    // Accepted (the caller is an admin), then found abnormal by the preset rule.
    await svc.call('members', 'RemoveMembers', { tagId, members: customers(3) }, first);
    await eventually(
      async () => expect(await memberIds(tagId)).toEqual(['c0000', 'c0001', 'c0002', 'c0003']),
      20_000,
    );
    await eventually(async () => {
      const { changes } = await svc.call<{
        changes: { ruleId: string; actorId: string; members: string[]; reason: string }[];
      }>('governance', 'ListRevertedChanges', {}, first);
      expect(changes).toEqual([
        expect.objectContaining({
          ruleId: 'key-account-only',
          actorId: 'assistant-1',
          members: ['customer:c0000', 'customer:c0001', 'customer:c0002'],
          reason: 'assistant-1 lacks role key_account to remove members of this tag',
        }),
      ]);
    }, 20_000);
    // The holder of the role removes for good.
    const keyAccount = { ...first, actorId: 'ka-1', roles: ['tenant_admin', 'key_account'] };
    const removed = await svc.call<MembersResult>(
      'members',
      'RemoveMembers',
      { tagId, members: [customer('c0000')] },
      keyAccount,
    );
    // A positive signal instead of a pause: the revert process saved a checkpoint at or past this
    // removal, and it saves only after checking (and compensating) every event of the batch. A write
    // made after that gives a token past anything the process could have appended.
    await eventually(
      async () => expect(await revertCheckpointPassed(removed.result.consistencyToken)).toBe(true),
      20_000,
    );
    const marker = await svc.call<Result>(
      'tags',
      'CreateTag',
      { tagId: randomUUID(), name: '检查点之后', kind: 'TAG_KIND_CUSTOMER' },
      first,
    );
    const after = marker.result.consistencyToken;
    expect(await memberIds(tagId, after)).toEqual(['c0001', 'c0002', 'c0003']);
    const { changes } = await svc.call<{ changes: unknown[] }>(
      'governance',
      'ListRevertedChanges',
      { consistencyToken: after },
      first,
    );
    expect(changes).toHaveLength(1);
  });

  it('reverts what exceeds a per-hour removal limit', async () => {
    const tagId = randomUUID();
    await svc.call('tags', 'CreateTag', { tagId, name: '活动期', kind: 'TAG_KIND_CUSTOMER' }, first);
    await svc.call('members', 'AddMembers', { tagId, members: customers(10) }, first);
    await svc.call(
      'governance',
      'DefineRevertRule',
      { rule: { ruleId: 'max-3', tagId, type: 'REVERT_RULE_TYPE_REMOVAL_RATE_LIMIT', maxPerHour: 3 } },
      first,
    );
    await svc.call('members', 'RemoveMembers', { tagId, members: customers(2) }, first);
    await svc.call('members', 'RemoveMembers', { tagId, members: customers(5).slice(2) }, first);
    // 2 + 3 = 5 removals within the hour, 3 allowed: the last two are put back.
    await eventually(
      async () =>
        expect(await memberIds(tagId)).toEqual([
          'c0003',
          'c0004',
          'c0005',
          'c0006',
          'c0007',
          'c0008',
          'c0009',
        ]),
      20_000,
    );
  });
});
