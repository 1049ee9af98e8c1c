import { parseTagIntegrationEventV1, TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import type { RecordedEvent } from '@tagguard/event-store';
import { catalogStream, membersStream } from '../streams';
import { toIntegrationMessage } from './tag-events.translation';

const recorded = (streamId: string, type: string, data: object, revision: bigint): RecordedEvent => ({
  id: '6f1c2a9e-3d5b-4a7c-9e8f-1a2b3c4d5e6f',
  type,
  schemaVersion: 1,
  data,
  metadata: {
    tenantId: 'tenant-a',
    actorId: 'u1',
    correlationId: 'c1',
    occurredAt: '2026-11-24T00:00:00.000Z',
    idempotency: { key: 'k', requestHash: 'h', result: {} },
  },
  streamId,
  revision,
  position: { commit: 1n, prepare: 1n },
  recordedAt: new Date(),
});

describe('tag domain events → tag.*.v1 integration events', () => {
  it('given NodeRenamed, then tag.renamed.v1 on the tag topic keyed by tag id, which parses back, without the idempotency answer', () => {
    const message = toIntegrationMessage(
      recorded(
        catalogStream('tenant-a'),
        'NodeRenamed',
        { nodeId: 'tag-1', name: '意向客户', previousName: 'VIP客户' },
        3n,
      ),
    )!;
    expect(message).toMatchObject({ topic: TAG_EVENTS_TOPIC_V1, key: 'tag-1', type: 'tag.renamed.v1' });
    expect(message.metadata).not.toHaveProperty('idempotency');
    expect(parseTagIntegrationEventV1(message.type, message.data)).toEqual({
      type: 'tag.renamed.v1',
      data: {
        tenantId: 'tenant-a',
        tagId: 'tag-1',
        name: '意向客户',
        previousName: 'VIP客户',
        revision: '3',
      },
    });
  });

  it('given MembersRemoved on a members stream, then tag.members_removed.v1 keyed by the tag', () => {
    const message = toIntegrationMessage(
      recorded(
        membersStream('tenant-a', 'tag-1'),
        'MembersRemoved',
        { tagId: 'tag-1', members: [{ kind: 'customer', id: 'c1' }], actorRoles: [], source: 'api' },
        0n,
      ),
    )!;
    expect(message).toMatchObject({
      key: 'tag-1',
      type: 'tag.members_removed.v1',
      data: { tagId: 'tag-1', members: [{ kind: 'customer', id: 'c1' }], source: 'api' },
    });
  });

  it('keeps rules and the policy private', () => {
    expect(
      toIntegrationMessage(recorded(catalogStream('tenant-a'), 'PolicyConfigured', {}, 1n)),
    ).toBeUndefined();
  });

  it('rejects an unknown type or a payload without its tenant', () => {
    expect(() => parseTagIntegrationEventV1('tag.created.v1', { revision: '0' })).toThrow('field "tenantId"');
    expect(() => parseTagIntegrationEventV1('tag.exploded.v1', {})).toThrow(
      'unknown tag integration event type',
    );
  });
});
