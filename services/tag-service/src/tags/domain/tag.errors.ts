export type TagErrorCode =
  | 'TAG.NOT_FOUND'
  | 'TAG.ALREADY_EXISTS'
  | 'TAG.ALREADY_DELETED'
  | 'TAG.NOT_DELETED'
  | 'TAG.INVALID_ARGUMENT'
  | 'TAG.WRONG_EXPECTED_REVISION'
  | 'TAG.FAILED_PRECONDITION'
  | 'TAG.PERMISSION_DENIED'
  | 'TAG.OPERATOR_FROZEN'
  | 'TAG.RETENTION_EXPIRED'
  | 'TAG.APPROVAL_EXPIRED';

/** A rule the command broke; `field` names the request field at fault where there is one. */
export class TagError extends Error {
  constructor(
    readonly code: TagErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'TagError';
  }
}
