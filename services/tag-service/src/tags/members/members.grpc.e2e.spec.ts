import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { customer, customers, TagServiceHarness, type Caller } from '../../testing/tag-service-harness';

type Items = {
  result: { items: { id: string; outcome: string; kind: string }[]; membersRevision: string; consistencyToken: string };
};
type Page = {
  members: { id: string; kind: string; addedBy: string }[];
  nextPageToken: string;
  total: number;
};

describe('tagguard.tag.v1.TagMemberService over gRPC', () => {
  let svc: TagServiceHarness;
  let admin: Caller;
  beforeAll(async () => {
    svc = await TagServiceHarness.start();
  });
  afterAll(() => svc?.stop());
  beforeEach(() => {
    admin = TagServiceHarness.admin();
  });
  const tag = async (kind = 'TAG_KIND_CUSTOMER', nodeType = 'TAG_NODE_TYPE_TAG') => {
    const tagId = randomUUID();
    await svc.call('tags', 'CreateTag', { tagId, name: `t-${tagId.slice(0, 6)}`, kind, nodeType }, admin);
    return tagId;
  };

  it('answers a batch per item: ok, already present, not allowed (wrong kind), invalid — and adds only the good ones', async () => {
    const tagId = await tag();
    await svc.call('members', 'AddMembers', { tagId, members: [customer('c1')] }, admin);
    const { result } = await svc.call<Items>(
      'members',
      'AddMembers',
      {
        tagId,
        members: [
          customer('c1'),
          customer('c2'),
          { kind: 'MEMBER_KIND_EMPLOYEE', id: 'e1' },
          customer(''),
          { kind: 'MEMBER_KIND_UNSPECIFIED', id: 'x' },
        ],
      },
      admin,
    );
    expect(result.items.map((i) => [i.id, i.outcome, i.kind])).toEqual([
      ['c1', 'ITEM_OUTCOME_ALREADY_PRESENT', 'MEMBER_KIND_CUSTOMER'],
      ['c2', 'ITEM_OUTCOME_OK', 'MEMBER_KIND_CUSTOMER'],
      ['e1', 'ITEM_OUTCOME_NOT_ALLOWED', 'MEMBER_KIND_EMPLOYEE'],
      ['', 'ITEM_OUTCOME_INVALID', 'MEMBER_KIND_CUSTOMER'],
      // Answered with the kind it was asked with (it said CUSTOMER).
      ['x', 'ITEM_OUTCOME_INVALID', 'MEMBER_KIND_UNSPECIFIED'],
    ]);
    expect(result.membersRevision).toBe('1');
    const page = await svc.call<Page>(
      'members',
      'ListMembers',
      { tagId, consistencyToken: result.consistencyToken },
      admin,
    );
    expect(page.members.map((m) => m.id)).toEqual(['c1', 'c2']);
    expect(page.total).toBe(2);
    const removed = await svc.call<Items>(
      'members',
      'RemoveMembers',
      { tagId, members: [customer('c2'), customer('c9')] },
      admin,
    );
    expect(removed.result.items.map((i) => i.outcome)).toEqual(['ITEM_OUTCOME_OK', 'ITEM_OUTCOME_NOT_FOUND']);
  });

  it('puts employees and departments on member tags, never on a group', async () => {
    const memberTag = await tag('TAG_KIND_MEMBER');
    const { result } = await svc.call<Items>(
      'members',
      'AddMembers',
      {
        tagId: memberTag,
        members: [
          { kind: 'MEMBER_KIND_EMPLOYEE', id: 'e1' },
          { kind: 'MEMBER_KIND_DEPARTMENT', id: 'd-market-2' },
        ],
      },
      admin,
    );
    expect(result.items.map((i) => i.outcome)).toEqual(['ITEM_OUTCOME_OK', 'ITEM_OUTCOME_OK']);
    const group = await tag('TAG_KIND_MEMBER', 'TAG_NODE_TYPE_GROUP');
    expect(
      await svc.failure(
        'members',
        'AddMembers',
        { tagId: group, members: [{ kind: 'MEMBER_KIND_EMPLOYEE', id: 'e1' }] },
        admin,
      ),
    ).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: 'tag_id',
    });
  });

  it('pages 700 members with stable cursors, even while members are added between pages', async () => {
    const tagId = await tag();
    let token = '';
    for (let i = 0; i < 700; i += 350)
      token = (
        await svc.call<Items>(
          'members',
          'AddMembers',
          { tagId, members: customers(700).slice(i, i + 350) },
          admin,
        )
      ).result.consistencyToken;
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await svc.call<Page>(
        'members',
        'ListMembers',
        { tagId, pageSize: 250, pageToken, consistencyToken: token },
        admin,
      );
      seen.push(...page.members.map((m) => m.id));
      pageToken = page.nextPageToken;
      // A member sorted before the cursor arrives meanwhile: the next pages neither repeat nor skip.
      if (pages++ === 0)
        token = (
          await svc.call<Items>('members', 'AddMembers', { tagId, members: [customer('a-late')] }, admin)
        ).result.consistencyToken;
    } while (pageToken);
    expect(seen).toHaveLength(700);
    expect(new Set(seen).size).toBe(700);
    expect(seen).toEqual([...seen].sort());
  });

  it('refuses an empty or over-1,000 batch naming members, and a stale expected revision as ABORTED', async () => {
    const tagId = await tag();
    expect(await svc.failure('members', 'AddMembers', { tagId, members: [] }, admin)).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: 'members',
    });
    expect(
      await svc.failure('members', 'AddMembers', { tagId, members: customers(1001) }, admin),
    ).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: 'members',
    });
    // The first member write expects -1 (nothing written yet); the same expectation again is stale.
    const added = await svc.call<Items>(
      'members',
      'AddMembers',
      { tagId, members: [customer('c1')], expectedRevision: '-1' },
      admin,
    );
    expect(
      await svc.failure(
        'members',
        'AddMembers',
        { tagId, members: [customer('c2')], expectedRevision: '-1' },
        admin,
      ),
    ).toMatchObject({ code: status.ABORTED, field: 'expected_revision' });
    expect(
      await svc.failure(
        'members',
        'AddMembers',
        { tagId, members: [customer('c2')], expectedRevision: '-2' },
        admin,
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'expected_revision' });
    expect(
      await svc.failure(
        'members',
        'AddMembers',
        { tagId, members: [customer('c2')], expectedRevision: '5' },
        admin,
      ),
    ).toMatchObject({
      code: status.ABORTED,
      field: 'expected_revision',
    });
    const page = await svc.call<Page>(
      'members',
      'ListMembers',
      { tagId, consistencyToken: added.result.consistencyToken },
      admin,
    );
    expect(page.members.map((m) => m.id)).toEqual(['c1']);
  });

  it('answers a retried batch with the same idempotency key with the first per-item result', async () => {
    const tagId = await tag();
    const request = { tagId, members: [customer('c1'), customer('c2')], idempotencyKey: `batch-${tagId}` };
    const first = await svc.call<Items>('members', 'AddMembers', request, admin);
    expect(await svc.call<Items>('members', 'AddMembers', request, admin)).toEqual(first);
  });
});
