export type TagErrorCode =
  'TAG.NOT_FOUND' | 'TAG.ALREADY_EXISTS' | 'TAG.ALREADY_DELETED' | 'TAG.INVALID_ARGUMENT';

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
