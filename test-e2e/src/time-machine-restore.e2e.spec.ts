import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { eventually, testInfra } from '@tagguard/testing';
import { Client } from 'pg';
import { serviceClient, signedMetadata, unary } from './support/callers';
import { startTagAndAudit, type TagAndAudit } from './support/tag-and-audit';

type Change = { tagId: string; name: string; change: string; members: string[] };
const customers = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    kind: 'MEMBER_KIND_CUSTOMER',
    id: `${prefix}${String(i).padStart(3, '0')}`,
  }));

// The accident the time machine exists for (DOMAIN.md §3): an intern clears the 700-member "VIP客户" tag
// group; an admin pulls its state of 24 hours earlier from the history and restores it. tag-service and
// audit-service are separate processes on real PostgreSQL and Kafka.
describe('time machine: the cleared 700-member VIP客户 group is restored to its state 24 h earlier', () => {
  const run = randomUUID().slice(0, 8);
  const tenant = `tenant-${run}`;
  const admin = signedMetadata(tenant, 'admin-hq', ['tenant_admin']);
  const intern = signedMetadata(tenant, 'intern-7', ['tenant_admin']);
  const secondIntern = signedMetadata(tenant, 'intern-8', ['tenant_admin']);
  const viewer = signedMetadata(tenant, 'viewer', ['sales']);
  let services: TagAndAudit | undefined;
  let clients: Record<'tag' | 'members' | 'timeMachine' | 'governance' | 'audit', grpc.Client>;

  beforeAll(async () => {
    services = await startTagAndAudit(`tm_${run}`);
    const at = services.tagAddress;
    clients = {
      tag: serviceClient(at, 'tag'),
      members: serviceClient(at, 'members'),
      timeMachine: serviceClient(at, 'timeMachine'),
      governance: serviceClient(at, 'governance'),
      audit: serviceClient(services.auditAddress, 'audit'),
    };
  }, 60_000);
  afterAll(async () => {
    for (const c of Object.values(clients ?? {})) c.close();
    await services?.stop();
  });

  it('dry run shows the damage, the restore repairs it with compensating events, audited, idempotent', async () => {
    // Yesterday: the group with two tags, 400 + 300 customers.
    const group = randomUUID();
    const east = randomUUID();
    const south = randomUUID();
    await unary(
      clients.tag,
      'CreateTag',
      { tagId: group, name: 'VIP客户', kind: 'TAG_KIND_CUSTOMER', nodeType: 'TAG_NODE_TYPE_GROUP' },
      admin,
    );
    await unary(
      clients.tag,
      'CreateTag',
      { tagId: east, name: '华东VIP', kind: 'TAG_KIND_CUSTOMER', parentId: group },
      admin,
    );
    await unary(
      clients.tag,
      'CreateTag',
      { tagId: south, name: '华南VIP', kind: 'TAG_KIND_CUSTOMER', parentId: group },
      admin,
    );
    for (let i = 0; i < 400; i += 200)
      await unary(
        clients.members,
        'AddMembers',
        { tagId: east, members: customers('e', 400).slice(i, i + 200) },
        admin,
      );
    await unary(clients.members, 'AddMembers', { tagId: south, members: customers('s', 300) }, admin);
    // The test cannot wait a day: it moves this history 25 hours into the past, where the store keeps
    // the time each event was recorded.
    const pg = new Client({ connectionString: testInfra().postgresUrl });
    await pg.connect();
    await pg.query(`UPDATE "tm_${run}_es".events SET recorded_at = recorded_at - interval '25 hours'`);
    await pg.end();

    // Today: the intern clears the group — removes every member, then deletes one tag.
    await unary(clients.members, 'RemoveMembers', { tagId: east, members: customers('e', 400) }, intern);
    const damage = await unary<{ result: { consistencyToken: string } }>(
      clients.members,
      'RemoveMembers',
      { tagId: south, members: customers('s', 300) },
      secondIntern,
    );
    const frozen = await unary<{ operators: { actorId: string }[] }>(
      clients.governance,
      'ListFrozenOperators',
      {},
      admin,
    );
    expect(frozen.operators.map((o) => o.actorId)).toContain('intern-7');

    const yesterday = { timestamp: new Date(Date.now() - 24 * 3_600_000).toISOString() };
    // As of yesterday, the group had 700 members; now none.
    const then = await unary<{ nodes: { tag: { name: string; memberCount: number }; members: string[] }[] }>(
      clients.timeMachine,
      'GetTreeAsOf',
      { rootId: group, asOf: yesterday, includeMembers: true },
      admin,
    );
    expect(then.nodes.map((n) => [n.tag.name, n.tag.memberCount])).toEqual([
      ['VIP客户', 0],
      ['华东VIP', 400],
      ['华南VIP', 300],
    ]);
    const diff = await unary<{ changes: Change[] }>(
      clients.timeMachine,
      'DiffTags',
      { rootId: group, from: yesterday },
      admin,
    );
    const summary = (changes: Change[]) => changes.map((c) => [c.name, c.change, c.members.length]).sort();
    expect(summary(diff.changes)).toEqual([
      ['华东VIP', 'members_removed', 400],
      ['华南VIP', 'members_removed', 300],
    ]);

    // Dry run: what would change, and nothing changes yet.
    const plan = await unary<{ changes: Change[]; unpurged: string[] }>(
      clients.timeMachine,
      'PlanRestore',
      { rootId: group, asOf: yesterday },
      admin,
    );
    expect(summary(plan.changes)).toEqual([
      ['华东VIP', 'members_added', 400],
      ['华南VIP', 'members_added', 300],
    ]);
    expect(
      (
        await unary<{ total: number }>(
          clients.members,
          'ListMembers',
          { tagId: east, consistencyToken: damage.result.consistencyToken },
          admin,
        )
      ).total,
    ).toBe(0);

    // Only an authorized actor restores.
    await expect(
      unary(clients.timeMachine, 'RestoreToPoint', { rootId: group, asOf: yesterday }, viewer),
    ).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    const restore = { rootId: group, asOf: yesterday, idempotencyKey: `restore-${run}` };
    const restored = await unary<{ restoreId: string; changes: Change[]; consistencyToken: string }>(
      clients.timeMachine,
      'RestoreToPoint',
      restore,
      admin,
    );
    expect(restored.changes).toEqual(plan.changes);
    const eastMembers = await unary<{ total: number; members: { id: string }[] }>(
      clients.members,
      'ListMembers',
      { tagId: east, pageSize: 1000, consistencyToken: restored.consistencyToken },
      admin,
    );
    expect(eastMembers.members.map((m) => m.id)).toEqual(customers('e', 400).map((m) => m.id));
    expect(
      (
        await unary<{ total: number }>(
          clients.members,
          'ListMembers',
          { tagId: south, consistencyToken: restored.consistencyToken },
          admin,
        )
      ).total,
    ).toBe(300);
    // Now equals yesterday: nothing left to restore.
    const after = await unary<{ changes: Change[] }>(
      clients.timeMachine,
      'PlanRestore',
      { rootId: group, asOf: yesterday },
      admin,
    );
    expect(after.changes).toEqual([]);

    // A retry of the same restore adds nothing.
    const again = await unary<{ restoreId: string }>(clients.timeMachine, 'RestoreToPoint', restore, admin);
    expect(again.restoreId).toBe(restored.restoreId);
    expect(
      (
        await unary<{ total: number }>(
          clients.members,
          'ListMembers',
          { tagId: east, consistencyToken: restored.consistencyToken },
          admin,
        )
      ).total,
    ).toBe(400);

    // History is not rewritten: the removals and the restore are both in the audit trail.
    await eventually(async () => {
      const records: { eventType: string; subjectId: string; data: string }[] = [];
      let pageToken = '';
      do {
        const page = await unary<{
          records: { eventType: string; subjectId: string; data: string }[];
          nextPageToken: string;
        }>(clients.audit, 'ListAuditRecords', { pageSize: 500, pageToken }, admin);
        records.push(...page.records);
        pageToken = page.nextPageToken;
      } while (pageToken);
      const ofEast = records.filter((r) => r.subjectId === east).map((r) => r.eventType);
      expect(ofEast.filter((t) => t === 'tag.members_removed.v1')).toHaveLength(1);
      expect(ofEast.filter((t) => t === 'tag.members_added.v1').length).toBeGreaterThanOrEqual(2 + 1);
    }, 60_000);
  });
});
