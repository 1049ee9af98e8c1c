/** WeCom allows at most 32 characters in a tag name. */
export const MAX_TAG_NAME_LENGTH = 32;

/**
 * The form names are compared in: trimmed, NFKC (full-width "ＶＩＰ" becomes "VIP"), case-folded,
 * inner whitespace collapsed. The tag keeps the name as written; uniqueness uses this form.
 */
export function normalizeTagName(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLocaleLowerCase('en-US');
}
