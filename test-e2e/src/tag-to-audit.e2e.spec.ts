import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { eventually } from '@tagguard/testing';
import { serviceClient, signedMetadata, unary } from './support/callers';
import { startTagAndAudit, type TagAndAudit } from './support/tag-and-audit';

// The first slice end to end, each service its own process: gRPC command in tag-service → event store →
// relay → Kafka → audit-service consumer (inbox) → ListAuditRecords over gRPC.
describe('tag changes reach the audit trail', () => {
  const run = randomUUID().slice(0, 8);
  const caller = signedMetadata(`tenant-${run}`);
  let services: TagAndAudit | undefined;
  let tags: grpc.Client;
  let trail: grpc.Client;

  beforeAll(async () => {
    services = await startTagAndAudit(`slice_${run}`);
    tags = serviceClient(services.tagAddress, 'tag');
    trail = serviceClient(services.auditAddress, 'audit');
  });
  afterAll(async () => {
    tags?.close();
    trail?.close();
    await services?.stop();
  });

  it('records each created, renamed and deleted tag exactly once, for its own tenant only', async () => {
    const tagIds = Array.from({ length: 20 }, () => randomUUID());
    for (const [i, tagId] of tagIds.entries())
      await unary(tags, 'CreateTag', { tagId, name: `VIP客户${i}`, kind: 'TAG_KIND_CUSTOMER' }, caller);
    await unary(tags, 'RenameTag', { tagId: tagIds[0], name: '意向客户', expectedRevision: '0' }, caller);
    await unary(tags, 'DeleteTag', { tagId: tagIds[1], expectedRevision: '0' }, caller);

    const records = await eventually(async () => {
      const page = await unary(trail, 'ListAuditRecords', { pageSize: 500 }, caller);
      expect(page['records']).toHaveLength(22);
      return page['records'] as { eventId: string; eventType: string; subjectId: string; actorId: string }[];
    }, 60_000);
    expect(new Set(records.map((r) => r.eventId)).size).toBe(22);
    expect(
      records
        .filter((r) => r.eventType === 'tag.created.v1')
        .map((r) => r.subjectId)
        .sort(),
    ).toEqual([...tagIds].sort());
    expect(records.find((r) => r.eventType === 'tag.renamed.v1')).toMatchObject({
      subjectId: tagIds[0],
      actorId: 'admin-1',
    });
    expect(records.find((r) => r.eventType === 'tag.deleted.v1')).toMatchObject({ subjectId: tagIds[1] });

    const other = await unary(trail, 'ListAuditRecords', { pageSize: 500 }, signedMetadata(`other-${run}`));
    expect(other['records'] ?? []).toEqual([]);
  }, 120_000);
});
