import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { loadDevPrivateKey, signToken } from '@tagguard/auth';
import { protoRoot } from '@tagguard/grpc-runtime';
import { tagguardClient } from '@tagguard/testing';
import { TagServiceHarness, type Caller } from '../../testing/tag-service-harness';

type Progress = { phase: string; checks: { table: string; liveRows: string; rebuiltRows: string }[] };

// RebuildReadModels rebuilds tables every tenant shares, and its answer counts every tenant's rows: a
// platform operation. A tenant's admin is refused before anything is streamed; the platform operator
// gets the counts of all tenants.
describe('RebuildReadModels is a platform operation', () => {
  let svc: TagServiceHarness;
  let client: grpc.Client;
  const tenantA = TagServiceHarness.admin();
  const tenantB = TagServiceHarness.admin();
  const operator: Caller = { tenantId: 'platform', actorId: 'sre-1', roles: ['platform_operator'] };

  beforeAll(async () => {
    svc = await TagServiceHarness.start();
    client = tagguardClient<grpc.Client>(
      svc.address,
      'tagguard/tag/v1/time_machine_service.proto',
      protoRoot(),
      ['tagguard', 'tag', 'v1', 'TimeMachineService'],
    );
    for (const admin of [tenantA, tenantB])
      await svc.call(
        'tags',
        'CreateTag',
        { tagId: randomUUID(), name: '市场二组', kind: 'TAG_KIND_MEMBER' },
        admin,
      );
  });
  afterAll(async () => {
    client?.close();
    await svc?.stop();
  });

  /** Every message the stream sent, and how it ended. */
  const rebuild = (caller: Caller) =>
    new Promise<{ messages: Progress[]; error?: grpc.ServiceError }>((resolve) => {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${signToken(caller, loadDevPrivateKey())}`);
      const call = (
        client as unknown as Record<
          string,
          (r: object, m: grpc.Metadata) => grpc.ClientReadableStream<Progress>
        >
      )['RebuildReadModels']!.call(client, { verifyOnly: true }, metadata);
      const messages: Progress[] = [];
      call.on('data', (m: Progress) => messages.push(m));
      call.on('error', (error: grpc.ServiceError) => resolve({ messages, error }));
      call.on('end', () => resolve({ messages }));
    });

  it.each([
    ['a tenant admin', tenantA],
    [
      'a tenant admin with every tenant role',
      { ...tenantA, roles: ['tenant_admin', 'tag_recovery', 'key_account'] },
    ],
  ])('%s is refused with PERMISSION_DENIED and learns no row count', async (_name, caller) => {
    const { messages, error } = await rebuild(caller);
    expect(messages).toEqual([]);
    expect(error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(String(error?.metadata.get('tg-error-code')[0])).toBe('TAG.PERMISSION_DENIED');
    expect(error?.details).toMatch(/platform_operator/);
  });

  it('the platform operator (no tenant role) gets the checks, counting every tenant', async () => {
    const { messages, error } = await rebuild(operator);
    expect(error).toBeUndefined();
    const last = messages.at(-1)!;
    expect(last.phase).toBe('kept_live');
    const nodes = last.checks.find((c) => c.table === 'tag_nodes');
    expect(nodes).toMatchObject({ liveRows: '2', rebuiltRows: '2' });
  });

  it('the platform role grants no tenant write', async () => {
    expect(
      await svc.failure(
        'tags',
        'CreateTag',
        { tagId: randomUUID(), name: 'x', kind: 'TAG_KIND_MEMBER' },
        operator,
      ),
    ).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
  });
});
