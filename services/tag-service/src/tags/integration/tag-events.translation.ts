import type { TagIntegrationEventV1 } from '@tagguard/contracts';
import { TAG_EVENTS_TOPIC_V1 } from '@tagguard/contracts';
import type { RecordedEvent } from '@tagguard/event-store';
import type { IntegrationMessage } from '@tagguard/messaging';
import type { TagEvent } from '../domain/tag.events';
import { tagIdOf } from '../tag-stream';

/** Domain event → integration event, explicitly: what leaves tag-service is chosen here, field by field. */
export function toIntegrationMessage(
  recorded: RecordedEvent,
): IntegrationMessage<TagIntegrationEventV1['data']> | undefined {
  const event = { type: recorded.type, data: recorded.data } as TagEvent;
  const tenantId = recorded.metadata.tenantId;
  const tagId = tagIdOf(recorded);
  const revision = String(recorded.revision);
  let integration: TagIntegrationEventV1;
  switch (event.type) {
    case 'TagCreated':
      integration = {
        type: 'tag.created.v1',
        data: { tenantId, tagId, name: event.data.name, kind: event.data.kind, revision },
      };
      break;
    case 'TagRenamed':
      integration = {
        type: 'tag.renamed.v1',
        data: { tenantId, tagId, name: event.data.name, previousName: event.data.previousName, revision },
      };
      break;
    case 'TagDeleted':
      integration = { type: 'tag.deleted.v1', data: { tenantId, tagId, name: event.data.name, revision } };
      break;
    default:
      return undefined;
  }
  return {
    topic: TAG_EVENTS_TOPIC_V1,
    key: tagId,
    eventId: recorded.id,
    type: integration.type,
    schemaVersion: 1,
    data: integration.data,
    metadata: recorded.metadata,
  };
}
