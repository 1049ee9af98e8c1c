import type { PermissionActionV1 } from '@tagguard/contracts';
import { checkWith, subjectContext } from './check';
import type { CheckSubject, Snapshot } from './model';

/** A page request: ids strictly after the cursor `after` (null: from the start), at most `limit`, decided at `at`. */
export type LookupPage = { after?: string | null; limit: number; at: number };

/** `next`: the cursor of the following page, null when nothing allowed is left. */
export type LookupResult = { ids: string[]; next: string | null };

/**
 * Walks the candidates in id order (a cursor is an id, so a page is stable while tags come and go) and keeps
 * those `allowed` admits; it looks one allowed id past the page so `next` is null on the last page.
 */
function page(
  candidates: Iterable<string>,
  { after, limit }: LookupPage,
  allowed: (id: string) => boolean,
): LookupResult {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const sorted = [...new Set(candidates)].sort();
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
  tagIds: Iterable<string>,
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
  employeeIds: Iterable<string>,
  options: LookupPage,
): LookupResult {
  return page(employeeIds, options, (employeeId) => {
    const ctx = subjectContext(snapshot, { employeeId, tokenRoles: [] }, options.at);
    return checkWith(snapshot, ctx, action, tagId).allowed;
  });
}
