import { createHash } from 'node:crypto';
import { idOf, streamName, type RecordedEvent } from '@tagguard/event-store';

export const TAG_CATEGORY = 'tag';

/** One stream per tag, named with its tenant so that a tag id can never reach another tenant's tag. */
export function tagStream(tenantId: string, tagId: string): string {
  return streamName(TAG_CATEGORY, `${tenantId}.${tagId}`);
}

/** The tag id of an event of a tag stream (the stream id is `<tenantId>.<tagId>`). */
export function tagIdOf(event: RecordedEvent): string {
  return idOf(event.streamId).slice(event.metadata.tenantId.length + 1);
}

/**
 * Event ids derived from what the command is (tenant, tag, intent, content, revision it applies to): a retried
 * command produces the same ids and the store treats the retry as the same append.
 */
export function deterministicEventId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  // Shaped as a version-8 (custom) UUID, RFC 9562.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
