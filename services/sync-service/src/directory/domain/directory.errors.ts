export type DirectoryErrorCode =
  | 'DIRECTORY.NOT_FOUND'
  | 'DIRECTORY.INVALID_ARGUMENT'
  | 'DIRECTORY.WRONG_EXPECTED_REVISION'
  | 'DIRECTORY.FAILED_PRECONDITION'
  | 'DIRECTORY.PERMISSION_DENIED'
  | 'DIRECTORY.UNAVAILABLE';

/** A rule a command broke; `field` names the domain field at fault (the edge maps it to the proto name). */
export class DirectoryError extends Error {
  constructor(
    readonly code: DirectoryErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DirectoryError';
  }
}

export const invalid = (field: string, message: string): DirectoryError =>
  new DirectoryError('DIRECTORY.INVALID_ARGUMENT', message, field);
