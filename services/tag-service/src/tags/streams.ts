import { createHash } from 'node:crypto';
import { ACCESS_DENIAL_CATEGORY } from '@tagguard/grpc-runtime';
import { idAfterTenant, idOf, streamName, tenantScopedId, type RecordedEvent } from '@tagguard/event-store';

// tag-service's streams. Each carries its tenant in the name, so an id from tenant A can never reach
// tenant B's data: B's lookup simply finds nothing (NOT_FOUND).
export const CATALOG_CATEGORY = 'tagCatalog';
export const MEMBERS_CATEGORY = 'tagMembers';
export const TASK_CATEGORY = 'followUpTask';
export const TAG_SERVICE_CATEGORIES = [CATALOG_CATEGORY, MEMBERS_CATEGORY, TASK_CATEGORY];
/** The directory policy, one stream per tenant (read by the directory consumer only). */
export const DIRECTORY_POLICY_CATEGORY = 'tagDirectoryPolicy';
/** One stream per read-model rebuild that ran to its end: its outcome, for the audit trail. */
export const REBUILD_CATEGORY = 'tagRebuild';
/**
 * What the relay publishes: the read models' categories, and the facts no read model folds — the
 * directory policy, rebuilds, and denied attempts (ACCESS_DENIAL_CATEGORY, on their own topic).
 */
export const TAG_RELAYED_CATEGORIES = [
  ...TAG_SERVICE_CATEGORIES,
  DIRECTORY_POLICY_CATEGORY,
  REBUILD_CATEGORY,
  ACCESS_DENIAL_CATEGORY,
];
export const rebuildStream = (tenantId: string, rebuildId: string): string =>
  streamName(REBUILD_CATEGORY, tenantScopedId(tenantId, rebuildId));

/** The tenant's catalogue: structure, bin, visibility, policy, freezes, approvals, rules. */
export const catalogStream = (tenantId: string): string => streamName(CATALOG_CATEGORY, tenantId);
/** One tag's members. */
export const membersStream = (tenantId: string, tagId: string): string =>
  streamName(MEMBERS_CATEGORY, tenantScopedId(tenantId, tagId));
export const taskStream = (tenantId: string, taskId: string): string =>
  streamName(TASK_CATEGORY, tenantScopedId(tenantId, taskId));

/** The entity id after `<tenantId>.` in a members or task stream. */
export function entityIdOf(event: RecordedEvent): string {
  return idAfterTenant(event.metadata.tenantId, idOf(event.streamId));
}

export const categoryOfStream = (streamId: string): string => streamId.slice(0, streamId.indexOf('-'));

/**
 * Ids derived from what they stand for: the same inputs give the same id, so a retried step (a process
 * reacting to a redelivered event, a retried approval) produces the same events and the store treats
 * them as the same append.
 */
export function derivedId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  // Shaped as a version-8 (custom) UUID, RFC 9562.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
