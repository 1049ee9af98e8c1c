import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import {
  checkHealth,
  eventually,
  messageDescriptorByReflection,
  messageFieldsByReflection,
  testInfra,
} from '@tagguard/testing';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { TagServiceHarness, type Caller } from '../testing/tag-service-harness';

type Result = { result: { tagId: string; revision: string; consistencyToken: string } };
type Tag = Record<string, unknown> & { tagId: string; name: string; revision: string };

// The tag tree over gRPC: tag-service as a process on real PostgreSQL and Kafka.
describe('tagguard.tag.v1.TagService over gRPC', () => {
  let svc: TagServiceHarness;
  let admin: Caller;
  beforeAll(async () => {
    svc = await TagServiceHarness.start();
  });
  afterAll(() => svc?.stop());
  beforeEach(() => {
    admin = TagServiceHarness.admin();
  });
  const create = (request: object, caller = admin) =>
    svc
      .call<Result>('tags', 'CreateTag', { kind: 'TAG_KIND_CUSTOMER', ...request }, caller)
      .then((r) => r.result);
  const get = async (tagId: string, consistencyToken: string, caller = admin) =>
    (await svc.call<{ tag: Tag }>('tags', 'GetTag', { tagId, consistencyToken }, caller)).tag;

  it('reports each of its five gRPC services as SERVING', async () => {
    for (const name of [
      'TagService',
      'TagMemberService',
      'RecycleBinService',
      'TagGovernanceService',
      'TagAutomationService',
    ])
      await expect(checkHealth(svc.address, `tagguard.tag.v1.${name}`)).resolves.toBe('SERVING');
  });

  it('describes messages through reflection as written in the .proto (what grpcurl relies on)', async () => {
    await expect(messageFieldsByReflection(svc.address, 'tagguard.tag.v1.CreateTagRequest')).resolves.toEqual(
      ['tag_id', 'name', 'kind', 'parent_id', 'node_type', 'description', 'idempotency_key'],
    );
  });

  it('describes a map field with a proper "<Field>Entry" type, as grpcurl and Go/Java clients require', async () => {
    const member = await messageDescriptorByReflection(svc.address, 'tagguard.tag.v1.Member');
    expect(member.nestedType).toEqual([
      expect.objectContaining({
        name: 'AttributesEntry',
        options: expect.objectContaining({ mapEntry: true }),
      }),
    ]);
    expect(member.field.find((f) => f.name === 'attributes')?.typeName).toMatch(/(^|\.)AttributesEntry$/);
    // A field name with an underscore: protobufjs says "Step_seconds", protobuf "StepSecondsEntry".
    const progress = await messageDescriptorByReflection(
      svc.address,
      'tagguard.tag.v1.RebuildReadModelsResponse',
    );
    expect(progress.nestedType.map((n) => n.name)).toEqual(['StepSecondsEntry']);
    expect(progress.field.find((f) => f.name === 'step_seconds')?.typeName).toMatch(
      /(^|\.)StepSecondsEntry$/,
    );
  });

  it('publishes each write to Kafka as an integration event keyed by tag id, with the envelope headers', async () => {
    const kafka = new Kafka({
      clientId: 'tag-grpc-test',
      brokers: testInfra().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({ groupId: `tag-grpc-test-${randomUUID()}` });
    const tagId = randomUUID();
    const seen: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: TAG_EVENTS_TOPIC_V1, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void (message.key?.toString() === tagId && seen.push(message)),
    });
    try {
      await create({ tagId, name: '意向客户' });
      await eventually(() => expect(seen).toHaveLength(1), 30_000);
      const [message] = seen;
      expect(message!.headers!['tg-event-type']!.toString()).toBe('tag.created.v1');
      expect(message!.headers!['tg-tenant-id']!.toString()).toBe(admin.tenantId);
      expect(JSON.parse(message!.value!.toString())).toEqual({
        tenantId: admin.tenantId,
        tagId,
        name: '意向客户',
        kind: 'customer',
        nodeType: 'tag',
        parentId: null,
        revision: '0',
      });
    } finally {
      await consumer.disconnect();
    }
  });

  it('refuses a call without a token as UNAUTHENTICATED, and a non-admin write as PERMISSION_DENIED', async () => {
    expect((await svc.failure('tags', 'GetTag', { tagId: randomUUID() })).code).toBe(status.UNAUTHENTICATED);
    const viewer = { ...admin, actorId: 'viewer', roles: ['sales'] };
    expect(
      (
        await svc.failure(
          'tags',
          'CreateTag',
          { tagId: randomUUID(), name: 'x', kind: 'TAG_KIND_MEMBER' },
          viewer,
        )
      ).code,
    ).toBe(status.PERMISSION_DENIED);
  });

  it('refuses bad fields as INVALID_ARGUMENT naming each, and writes nothing', async () => {
    const cases: [object, string][] = [
      [{ tagId: 'not-a-uuid', name: 'VIP客户' }, 'tag_id'],
      [{ tagId: randomUUID(), name: ' ' }, 'name'],
      [{ tagId: randomUUID(), name: '标'.repeat(33) }, 'name'],
      [{ tagId: randomUUID(), name: 'x', kind: 'TAG_KIND_UNSPECIFIED' }, 'kind'],
      [{ tagId: randomUUID(), name: 'x', parentId: 'nope' }, 'parent_id'],
      [{ tagId: randomUUID(), name: 'x', idempotencyKey: 'k'.repeat(129) }, 'idempotency_key'],
    ];
    for (const [request, field] of cases)
      expect(
        await svc.failure('tags', 'CreateTag', { kind: 'TAG_KIND_CUSTOMER', ...request }, admin),
      ).toMatchObject({ code: status.INVALID_ARGUMENT, field });
    const { tags } = await svc.call<{ tags: Tag[] }>('tags', 'ListTags', {}, admin);
    expect(tags).toEqual([]);
  });

  it('creates a tag and reads it back at once with the consistency token; the same create again answers the same', async () => {
    const tagId = randomUUID();
    const first = await create({ tagId, name: 'VIP客户', description: '高价值' });
    expect(first).toMatchObject({ tagId, revision: '0' });
    expect(await create({ tagId, name: 'VIP客户', description: '高价值' })).toEqual(first);
    expect(await get(tagId, first.consistencyToken)).toMatchObject({
      tagId,
      name: 'VIP客户',
      kind: 'TAG_KIND_CUSTOMER',
      nodeType: 'TAG_NODE_TYPE_TAG',
      status: 'TAG_STATUS_ACTIVE',
      description: '高价值',
      revision: '0',
      deleted: false,
      memberCount: 0,
    });
    expect(
      await svc.failure('tags', 'CreateTag', { tagId, name: 'other', kind: 'TAG_KIND_CUSTOMER' }, admin),
    ).toMatchObject({
      code: status.ALREADY_EXISTS,
      field: 'tag_id',
    });
  });

  it('keeps names unique among siblings after trimming, full-width and case folding', async () => {
    const group = randomUUID();
    await create({ tagId: group, name: '华东大区', nodeType: 'TAG_NODE_TYPE_GROUP' });
    await create({ tagId: randomUUID(), name: 'VIP客户', parentId: group });
    expect(
      await svc.failure(
        'tags',
        'CreateTag',
        { tagId: randomUUID(), name: ' ｖｉｐ客户', kind: 'TAG_KIND_CUSTOMER', parentId: group },
        admin,
      ),
    ).toMatchObject({
      code: status.ALREADY_EXISTS,
      field: 'name',
    });
    // Another parent is another namespace.
    await create({ tagId: randomUUID(), name: 'VIP客户' });
  });

  it('nests five levels and refuses a sixth, naming parent_id', async () => {
    let parentId = '';
    for (let level = 1; level <= 5; level++) {
      const tagId = randomUUID();
      await create({
        tagId,
        name: `L${level}`,
        parentId,
        nodeType: level < 5 ? 'TAG_NODE_TYPE_GROUP' : 'TAG_NODE_TYPE_TAG',
      });
      parentId = tagId;
    }
    const sixth = await svc.failure(
      'tags',
      'CreateTag',
      { tagId: randomUUID(), name: 'L6', kind: 'TAG_KIND_CUSTOMER', parentId },
      admin,
    );
    expect(sixth).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'parent_id' });
    expect(sixth.details).toContain('at most 5 levels');
  });

  it('moves, reorders, describes and sets visibility, each bumping the revision; a stale revision is ABORTED', async () => {
    const [a, b, tag] = [randomUUID(), randomUUID(), randomUUID()];
    await create({ tagId: a, name: 'A', nodeType: 'TAG_NODE_TYPE_GROUP' });
    await create({ tagId: b, name: 'B', nodeType: 'TAG_NODE_TYPE_GROUP' });
    await create({ tagId: tag, name: 'VIP', parentId: a });
    await svc.call('tags', 'MoveTag', { tagId: tag, parentId: b, expectedRevision: '0' }, admin);
    await svc.call('tags', 'ReorderTag', { tagId: tag, order: 7, expectedRevision: '1' }, admin);
    await svc.call(
      'tags',
      'DescribeTag',
      { tagId: tag, description: '只给销售看', expectedRevision: '2' },
      admin,
    );
    const { result } = await svc.call<Result>(
      'tags',
      'SetTagVisibility',
      {
        tagId: tag,
        visibility: {
          restricted: true,
          departments: [{ departmentId: 'sales', includeSubDepartments: true }],
          roles: ['manager'],
          memberIds: [],
        },
        sensitive: true,
        expectedRevision: '3',
      },
      admin,
    );
    expect(await get(tag, result.consistencyToken)).toMatchObject({
      parentId: b,
      order: 7,
      description: '只给销售看',
      sensitive: true,
      revision: '4',
      visibility: {
        restricted: true,
        departments: [{ departmentId: 'sales', includeSubDepartments: true }],
        roles: ['manager'],
        memberIds: [],
      },
    });
    expect(
      await svc.failure('tags', 'RenameTag', { tagId: tag, name: 'x', expectedRevision: '3' }, admin),
    ).toMatchObject({
      code: status.ABORTED,
      field: 'expected_revision',
    });
    expect(
      await svc.failure('tags', 'MoveTag', { tagId: a, parentId: a, expectedRevision: '0' }, admin),
    ).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: 'parent_id',
    });
  });

  it('answers a retried call with the same idempotency key with the first result, and refuses the key for another request', async () => {
    const tagId = randomUUID();
    await create({ tagId, name: 'a' });
    const rename = { tagId, name: 'b', expectedRevision: '0', idempotencyKey: 'rename-1' };
    const first = await svc.call<Result>('tags', 'RenameTag', rename, admin);
    // The retry would now be stale (revision 1), yet it answers like the first call and writes nothing.
    expect(await svc.call<Result>('tags', 'RenameTag', rename, admin)).toEqual(first);
    expect(await svc.failure('tags', 'RenameTag', { ...rename, name: 'c' }, admin)).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: 'idempotency_key',
    });
    expect(await get(tagId, first.result.consistencyToken)).toMatchObject({ name: 'b', revision: '1' });
  });

  it("answers another tenant's request for a tag with NOT_FOUND", async () => {
    const tagId = randomUUID();
    const { consistencyToken } = await create({ tagId, name: 'VIP客户' });
    const other = TagServiceHarness.admin();
    expect((await svc.failure('tags', 'GetTag', { tagId, consistencyToken }, other)).code).toBe(
      status.NOT_FOUND,
    );
    expect((await svc.failure('tags', 'DeleteTag', { tagId, expectedRevision: '0' }, other)).code).toBe(
      status.NOT_FOUND,
    );
    expect(
      (
        await svc.failure(
          'members',
          'AddMembers',
          { tagId, members: [{ kind: 'MEMBER_KIND_CUSTOMER', id: 'c1' }] },
          other,
        )
      ).code,
    ).toBe(status.NOT_FOUND);
  });

  it('lists a tenant’s tags page by page with stable cursors, and the children of a group', async () => {
    const group = randomUUID();
    let token = (await create({ tagId: group, name: 'G', nodeType: 'TAG_NODE_TYPE_GROUP' })).consistencyToken;
    for (let i = 0; i < 4; i++)
      token = (await create({ tagId: randomUUID(), name: `t${i}`, parentId: group })).consistencyToken;
    const first = await svc.call<{ tags: Tag[]; nextPageToken: string }>(
      'tags',
      'ListTags',
      { pageSize: 2, consistencyToken: token },
      admin,
    );
    const second = await svc.call<{ tags: Tag[]; nextPageToken: string }>(
      'tags',
      'ListTags',
      { pageSize: 2, pageToken: first.nextPageToken },
      admin,
    );
    const third = await svc.call<{ tags: Tag[]; nextPageToken: string }>(
      'tags',
      'ListTags',
      { pageSize: 2, pageToken: second.nextPageToken },
      admin,
    );
    const names = [first, second, third].flatMap((p) => p.tags.map((t) => t.name));
    expect(names.sort()).toEqual(['G', 't0', 't1', 't2', 't3']);
    expect(third.nextPageToken).toBe('');
    const children = await svc.call<{ tags: Tag[] }>('tags', 'ListTags', { parentId: group }, admin);
    expect(children.tags.map((t) => t.name).sort()).toEqual(['t0', 't1', 't2', 't3']);
    expect((await svc.failure('tags', 'ListTags', { pageSize: 501 }, admin)).field).toBe('page_size');
    expect((await svc.failure('tags', 'ListTags', { pageToken: 'garbage' }, admin)).field).toBe('page_token');
    // Well-formed JSON that no list returned (a NUL reached PostgreSQL, an object a timestamp column): INTERNAL before.
    const cursor = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
    for (const [service, method, key] of [
      ['tags', 'ListTags', ['\u0000']],
      ['tags', 'ListTags', [1]],
      ['governance', 'ListSensitiveOperations', [{}, {}]],
      ['governance', 'ListSensitiveOperations', ['yesterday', 'x']],
    ] as const) {
      const failed = await svc.failure(service, method, { pageToken: cursor(key) }, admin);
      expect([method, failed.code, failed.field]).toEqual([method, status.INVALID_ARGUMENT, 'page_token']);
    }
  });
});
