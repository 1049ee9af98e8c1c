import { parseTagIntegrationEventV1, TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import type { RecordedEvent } from '@tagguard/event-store';
import { toIntegrationMessage } from './tag-events.translation';

const recorded = (type: string, data: object, revision: bigint): RecordedEvent => ({
  id: '6f1c2a9e-3d5b-4a7c-9e8f-1a2b3c4d5e6f',
  type,
  schemaVersion: 1,
  data,
  metadata: {
    tenantId: 'tenant-a',
    actorId: 'u1',
    correlationId: 'c1',
    occurredAt: '2026-11-24T00:00:00.000Z',
  },
  streamId: 'tag-tenant-a.tag-1',
  revision,
  position: { commit: 1n, prepare: 1n },
  recordedAt: new Date(),
});

describe('tag domain events → tag.*.v1 integration events', () => {
  it('given TagRenamed, then tag.renamed.v1 on the tag topic keyed by tag id, which parses back', () => {
    const message = toIntegrationMessage(
      recorded('TagRenamed', { tagId: 'tag-1', name: '意向客户', previousName: 'VIP客户' }, 3n),
    )!;
    expect(message).toMatchObject({ topic: TAG_EVENTS_TOPIC_V1, key: 'tag-1', type: 'tag.renamed.v1' });
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

  it('given TagDeleted, then tag.deleted.v1 carrying the last name', () => {
    expect(
      toIntegrationMessage(recorded('TagDeleted', { tagId: 'tag-1', name: 'VIP客户' }, 4n))!.data,
    ).toEqual({
      tenantId: 'tenant-a',
      tagId: 'tag-1',
      name: 'VIP客户',
      revision: '4',
    });
  });

  it('rejects an inbound payload missing a field, naming it', () => {
    expect(() =>
      parseTagIntegrationEventV1('tag.created.v1', { tenantId: 't', tagId: 'x', revision: '0' }),
    ).toThrow('field "name"');
    expect(() => parseTagIntegrationEventV1('tag.exploded.v1', {})).toThrow(
      'unknown tag integration event type',
    );
  });
});
