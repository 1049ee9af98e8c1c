export type TagKind = 'member' | 'customer';

export type TagEvent =
  | { type: 'TagCreated'; data: { tenantId: string; tagId: string; name: string; kind: TagKind } }
  | { type: 'TagRenamed'; data: { tagId: string; name: string; previousName: string } }
  | { type: 'TagDeleted'; data: { tagId: string; name: string } };

export const TAG_EVENT_SCHEMA_VERSION = 1;
