import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  DIRECTORY_EVENTS_TOPIC_V1,
  directoryEventKeyV1,
  TAG_EVENTS_TOPIC_V1,
  type DirectoryIntegrationEventV1,
  type EmployeeStatusV1,
} from '@tagguard/contracts';
import { protoRoot } from '@tagguard/grpc-runtime';
import { KafkaTransport, type IntegrationMessage, type MessagePublisher } from '@tagguard/messaging';
import { eventually, tagguardClient, testInfra } from '@tagguard/testing';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { PostgresEventStore } from '@tagguard/event-store';
import { TagServiceHarness, type Caller } from '../../testing/tag-service-harness';
import { membersStream } from '../streams';

type Items = { result: { items: { id: string; kind: string; outcome: string; reason: string }[] } };
type Page = { members: { id: string; kind: string; directoryFlag: string }[] };
type ListedComponents = { components: { name: string; state: string; parked: string }[] };
interface ComponentsClient extends grpc.Client {
  ListComponents(
    request: { parkedLimit: number },
    metadata: grpc.Metadata,
    callback: (error: grpc.ServiceError | null, response: ListedComponents) => void,
  ): void;
}

// tag-service as its own process on real Kafka and PostgreSQL; the test publishes directory events on
// sync-service's public topic, as sync-service will, and calls tag-service over gRPC.
describe('tag-service checks members against its copy of the directory (Kafka → copy → gRPC)', () => {
  let svc: TagServiceHarness;
  let transport: KafkaTransport;
  let publisher: MessagePublisher;
  let admin: Caller;
  let tenantId: string;

  const publish = (...events: DirectoryIntegrationEventV1[]) =>
    publisher.publish(
      events.map((event) => ({
        topic: DIRECTORY_EVENTS_TOPIC_V1,
        key: directoryEventKeyV1(event),
        eventId: randomUUID(),
        type: event.type,
        schemaVersion: 1,
        data: event.data,
        metadata: {
          tenantId: event.data.tenantId,
          actorId: 'system:wecom',
          correlationId: randomUUID(),
          occurredAt: new Date().toISOString(),
        },
      })),
    );
  const employee = (employeeId: string, revision: number, status: EmployeeStatusV1 = 'active') =>
    ({
      type: 'directory.employee_upserted.v1',
      data: {
        tenantId,
        revision: String(revision),
        employeeId,
        name: employeeId,
        departmentIds: ['d1'],
        mainDepartmentId: 'd1',
        position: '',
        status,
        leaderInDepartmentIds: [],
      },
    }) satisfies DirectoryIntegrationEventV1;
  const statusChanged = (employeeId: string, revision: number, status: EmployeeStatusV1) =>
    ({
      type: 'directory.employee_status_changed.v1',
      data: { tenantId, revision: String(revision), employeeId, status, previousStatus: 'active' },
    }) satisfies DirectoryIntegrationEventV1;
  const e = (id: string) => ({ kind: 'MEMBER_KIND_EMPLOYEE', id });
  const createTag = async (kind: string) => {
    const tagId = randomUUID();
    await svc.call('tags', 'CreateTag', { tagId, name: `t-${tagId.slice(0, 6)}`, kind }, admin);
    return tagId;
  };
  const add = (tagId: string, members: object[]) =>
    svc.call<Items>('members', 'AddMembers', { tagId, members }, admin);
  const list = (tagId: string) => svc.call<Page>('members', 'ListMembers', { tagId }, admin);
  /** Adds until every member is in (directory events of different objects arrive in any order). */
  const addOnceMirrored = (tagId: string, members: object[]) =>
    eventually(
      async () => {
        const { result } = await add(tagId, members);
        for (const i of result.items)
          expect(['ITEM_OUTCOME_OK', 'ITEM_OUTCOME_ALREADY_PRESENT']).toContain(i.outcome);
      },
      30_000,
      200,
    );

  beforeAll(async () => {
    svc = await TagServiceHarness.start();
    transport = new KafkaTransport({ clientId: 'directory-e2e', brokers: testInfra().kafkaBrokers });
    publisher = await transport.publisher();
  }, 60_000);
  afterAll(async () => {
    await publisher?.close();
    await transport?.close();
    await svc?.stop();
  });
  beforeEach(() => {
    admin = TagServiceHarness.admin();
    tenantId = admin.tenantId;
  });

  it('refuses a disabled employee as a new member, flags their existing membership (kept by default), and answers not_found for an unknown id', async () => {
    const tagId = await createTag('TAG_KIND_MEMBER');
    const other = await createTag('TAG_KIND_MEMBER');
    await publish(employee('alice', 0), employee('bob', 0));
    await addOnceMirrored(tagId, [e('alice'), e('bob')]);

    // WeCom disabled bob: sync-service publishes the upsert and the status change beside it.
    await publish(employee('bob', 1, 'disabled'), statusChanged('bob', 1, 'disabled'));
    const refused = await eventually(
      async () => {
        const { result } = await add(other, [e('bob')]);
        expect(result.items[0]!.outcome).toBe('ITEM_OUTCOME_NOT_ALLOWED');
        return result.items[0]!;
      },
      30_000,
      200,
    );
    expect(refused.reason).toBe('employee bob is disabled');

    const page = await list(tagId);
    expect(page.members.map((m) => [m.id, m.directoryFlag])).toEqual([
      ['alice', ''],
      ['bob', 'disabled'],
    ]);
    const unknown = await add(other, [e('nobody'), e('alice')]);
    expect(unknown.result.items.map((i) => i.outcome)).toEqual(['ITEM_OUTCOME_NOT_FOUND', 'ITEM_OUTCOME_OK']);

    // A replay of the older "active" upsert changes nothing.
    await publish(employee('bob', 0));
    await publish(employee('carol', 0));
    await addOnceMirrored(other, [e('carol')]);
    expect((await add(other, [e('bob')])).result.items[0]!.outcome).toBe('ITEM_OUTCOME_NOT_ALLOWED');
  }, 120_000);

  it('removes a departed employee from their tags when the tenant chose removal (source "directory"), and keeps the others', async () => {
    const request = {
      departedMembers: 'DEPARTED_MEMBERS_REMOVE',
      expectedRevision: '0',
      idempotencyKey: randomUUID(),
    };
    const policy = await svc.call<{ policy: { departedMembers: string; revision: string } }>(
      'governance',
      'SetDirectoryPolicy',
      request,
      admin,
    );
    expect(policy.policy).toEqual({ departedMembers: 'DEPARTED_MEMBERS_REMOVE', revision: '1' });
    expect(
      await svc.failure(
        'governance',
        'SetDirectoryPolicy',
        { departedMembers: 'DEPARTED_MEMBERS_KEEP', expectedRevision: '0' },
        admin,
      ),
    ).toMatchObject({ code: grpc.status.ABORTED, field: 'expected_revision' });
    expect(
      await svc.failure(
        'governance',
        'SetDirectoryPolicy',
        { departedMembers: 'DEPARTED_MEMBERS_UNSPECIFIED' },
        admin,
      ),
    ).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, field: 'departed_members' });
    expect(await svc.call('governance', 'GetDirectoryPolicy', {}, admin)).toEqual({ policy: policy.policy });
    const tags = [await createTag('TAG_KIND_MEMBER'), await createTag('TAG_KIND_MEMBER')];
    await publish(employee('dave', 0), employee('erin', 0));
    for (const tagId of tags) await addOnceMirrored(tagId, [e('dave'), e('erin')]);
    // The read model must show dave's memberships before his departure arrives (that is where they are found).
    await eventually(async () => {
      for (const tagId of tags) expect((await list(tagId)).members).toHaveLength(2);
    });

    await publish(employee('dave', 1, 'left'), statusChanged('dave', 1, 'left'));
    await eventually(
      async () => {
        for (const tagId of tags) expect((await list(tagId)).members.map((m) => m.id)).toEqual(['erin']);
      },
      30_000,
      200,
    );
    // Through the write path like any removal (and so relayed to the audit trail), by tag-service itself.
    const store = await PostgresEventStore.connect({
      connectionString: testInfra().postgresUrl,
      schema: `${svc.schema}_es`,
    });
    try {
      const [last] = await store.readStream(membersStream(tenantId, tags[0]!), {
        direction: 'backwards',
        maxCount: 1,
      });
      expect(last).toMatchObject({
        type: 'MembersRemoved',
        data: { members: [{ kind: 'employee', id: 'dave' }], source: 'directory' },
        metadata: { actorId: 'system:directory' },
      });
    } finally {
      await store.close();
    }
    // …and published on tag-service's topic like any removal (what audit-service records).
    const seen: IntegrationMessage[] = [];
    const subscription = await transport.subscribe({
      groupId: `directory-e2e.${randomUUID().slice(0, 8)}`,
      topics: [TAG_EVENTS_TOPIC_V1],
      handle: async (m) => {
        if (m.metadata.tenantId === tenantId && m.type === 'tag.members_removed.v1') seen.push(m);
      },
    });
    try {
      await eventually(() => expect(seen).toHaveLength(2), 30_000, 200);
      expect(seen.map((m) => m.data)).toEqual(
        expect.arrayContaining(
          tags.map((tagId) =>
            expect.objectContaining({
              tagId,
              source: 'directory',
              members: [{ kind: 'employee', id: 'dave' }],
            }),
          ),
        ),
      );
    } finally {
      await subscription.stop();
    }
  }, 120_000);

  it('answers a retried SetDirectoryPolicy exactly like the first call, even after the policy moved on', async () => {
    const first = {
      departedMembers: 'DEPARTED_MEMBERS_REMOVE',
      expectedRevision: '0',
      idempotencyKey: randomUUID(),
    };
    const answer = await svc.call('governance', 'SetDirectoryPolicy', first, admin);
    await svc.call(
      'governance',
      'SetDirectoryPolicy',
      { departedMembers: 'DEPARTED_MEMBERS_KEEP', expectedRevision: '1', idempotencyKey: randomUUID() },
      admin,
    );
    expect(await svc.call('governance', 'SetDirectoryPolicy', first, admin)).toEqual(answer);
    expect(await svc.call('governance', 'GetDirectoryPolicy', {}, admin)).toEqual({
      policy: { departedMembers: 'DEPARTED_MEMBERS_KEEP', revision: '2' },
    });
  });

  it('puts partner enterprises on a partner tag ("活动期"), known ones only', async () => {
    const tagId = randomUUID();
    await svc.call('tags', 'CreateTag', { tagId, name: '活动期', kind: 'TAG_KIND_PARTNER' }, admin);
    await publish({
      type: 'directory.partner_enterprise_upserted.v1',
      data: { tenantId, revision: '0', corpId: 'wx-corp-1', name: '星巴克', relation: 'downstream' },
    });
    const p = (id: string) => ({ kind: 'MEMBER_KIND_PARTNER', id });
    await addOnceMirrored(tagId, [p('wx-corp-1')]);
    const { result } = await add(tagId, [p('wx-corp-9'), e('alice')]);
    expect(result.items.map((i) => [i.id, i.outcome])).toEqual([
      ['wx-corp-9', 'ITEM_OUTCOME_NOT_FOUND'],
      ['alice', 'ITEM_OUTCOME_NOT_ALLOWED'],
    ]);
    const page = await list(tagId);
    expect(page.members.map((m) => [m.kind, m.id])).toEqual([['MEMBER_KIND_PARTNER', 'wx-corp-1']]);
    const tag = await svc.call<{ tag: { kind: string } }>('tags', 'GetTag', { tagId }, admin);
    expect(tag.tag.kind).toBe('TAG_KIND_PARTNER');
  }, 120_000);

  it('parks a directory event it cannot read on its consumer component, and goes on consuming', async () => {
    await publish({
      type: 'directory.employee_upserted.v1',
      data: { tenantId, revision: '0' } as never,
    });
    await publish(employee('frank', 0));
    const tagId = await createTag('TAG_KIND_MEMBER');
    await addOnceMirrored(tagId, [e('frank')]);
    const components = tagguardClient<ComponentsClient>(
      svc.address,
      'tagguard/runtime/v1/components.proto',
      protoRoot(),
      ['tagguard', 'runtime', 'v1', 'ComponentsService'],
    );
    const operator = new grpc.Metadata();
    operator.set(
      'authorization',
      `Bearer ${signToken({ tenantId: 'ops', actorId: 'sre-1', roles: ['platform_operator'] }, loadDevPrivateKey())}`,
    );
    try {
      const consumer = await eventually(
        async () => {
          const listed = await new Promise<ListedComponents>((resolve, reject) =>
            components.ListComponents({ parkedLimit: 0 }, operator, (err, v) =>
              err ? reject(err) : resolve(v),
            ),
          );
          const found = listed.components.find((c) => c.name === 'tag-service.directory-copy');
          expect(Number(found?.parked ?? 0)).toBeGreaterThanOrEqual(1);
          return found!;
        },
        30_000,
        200,
      );
      expect(consumer.state).toBe('running');
    } finally {
      components.close();
    }
  }, 120_000);
});
