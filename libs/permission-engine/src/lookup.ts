import type { PermissionActionV1 } from '@tagguard/contracts';
import { checkWith, subjectContext } from './check';
import type { CheckSubject, Snapshot } from './model';

/** A page request: ids strictly after the cursor `after` (null: from the start), at most `limit`, decided at `at`. */
export type LookupPage = { after?: string | null; limit: number; at: number };

/** `next`: the cursor of the following page, null when nothing allowed is left. */
export type LookupResult = { ids: string[]; next: string | null };

/**
 * Candidates the engine keeps sorted between calls: `source` is the collection's identity, `version` must
 * change whenever its set of ids does (an added or removed id). A plain iterable is sorted on every call.
 */
export type SortedIdSource = { readonly source: object; readonly version: number; ids(): Iterable<string> };
export type LookupCandidates = Iterable<string> | SortedIdSource;

const sortedCache = new WeakMap<object, { version: number; sorted: readonly string[] }>();

const isSource = (c: LookupCandidates): c is SortedIdSource =>
  typeof (c as SortedIdSource).ids === 'function' && 'source' in c;

/** The candidates in id order, deduplicated; a SortedIdSource's order is reused until its version moves. */
export function sortedCandidates(candidates: LookupCandidates): readonly string[] {
  if (!isSource(candidates)) return [...new Set(candidates)].sort();
  const held = sortedCache.get(candidates.source);
  if (held && held.version === candidates.version) return held.sorted;
  const sorted = [...new Set(candidates.ids())].sort();
  sortedCache.set(candidates.source, { version: candidates.version, sorted });
  return sorted;
}

/**
 * Walks the candidates in id order (a cursor is an id, so a page is stable while tags come and go) and keeps
 * those `allowed` admits; it looks one allowed id past the page so `next` is null on the last page.
 */
function page(
  candidates: LookupCandidates,
  { after, limit }: LookupPage,
  allowed: (id: string) => boolean,
): LookupResult {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const sorted = sortedCandidates(candidates);
  let i = 0;
  if (after != null) {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    i = lo;
  }
  const ids: string[] = [];
  for (; i < sorted.length; i++) {
    if (!allowed(sorted[i]!)) continue;
    if (ids.length === limit) return { ids, next: ids[ids.length - 1]! };
    ids.push(sorted[i]!);
  }
  return { ids, next: null };
}

/** Which of `tagIds` may the subject act on with `action` (e.g. see: `customer_tags.view`), paged. */
export function lookupResources(
  snapshot: Snapshot,
  subject: CheckSubject,
  action: PermissionActionV1,
  tagIds: LookupCandidates,
  options: LookupPage,
): LookupResult {
  const ctx = subjectContext(snapshot, subject, options.at);
  return page(tagIds, options, (tagId) => checkWith(snapshot, ctx, action, tagId).allowed);
}

/**
 * Which of `employeeIds` may act on the tag with `action`, paged. Directory roles only: an employee's token
 * roles (tenant_admin) are not known here, so a caller lists its admins itself.
 */
export function lookupSubjects(
  snapshot: Snapshot,
  tagId: string,
  action: PermissionActionV1,
  employeeIds: LookupCandidates,
  options: LookupPage,
): LookupResult {
  return page(employeeIds, options, (employeeId) => {
    const ctx = subjectContext(snapshot, { employeeId, tokenRoles: [] }, options.at);
    return checkWith(snapshot, ctx, action, tagId).allowed;
  });
}
