import type { Principal } from '@tagguard/auth';

/** What a caller wants to do; permission-service will answer this later with its four-level check. */
export type TagAction =
  | 'catalog.write'
  | 'catalog.read'
  | 'members.write'
  | 'members.read'
  | 'governance.write'
  | 'approval.decide'
  | 'tasks.write'
  /** Rebuild every tenant's read models (a platform operation). */
  | 'readmodels.rebuild';

/** The port tag-service asks before every call. Resolves, or throws TAG.PERMISSION_DENIED. */
export interface TagAuthorizer {
  authorize(principal: Principal, action: TagAction, subjectId?: string): Promise<void>;
}

export const TAG_AUTHORIZER = Symbol('TAG_AUTHORIZER');
