import type { tagV1 } from '@tagguard/contracts';
import type { TagSight } from './tag-authorizer.port';

/** What a masked field reads as. */
export const MASK = '***';

/** The tag as this caller may see it: the fields the engine masked replaced by MASK. */
export function maskTag(tag: tagV1.Tag, sight: TagSight): tagV1.Tag {
  if (sight.maskedFields.length === 0) return tag;
  const out = { ...tag };
  for (const field of sight.maskedFields) if (field === 'name' || field === 'description') out[field] = MASK;
  return out;
}
