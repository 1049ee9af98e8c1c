export type PolicyErrorCode =
  | 'PERMISSION.NOT_FOUND'
  | 'PERMISSION.ALREADY_EXISTS'
  | 'PERMISSION.INVALID_ARGUMENT'
  | 'PERMISSION.WRONG_EXPECTED_REVISION'
  | 'PERMISSION.FAILED_PRECONDITION'
  | 'PERMISSION.PERMISSION_DENIED'
  | 'PERMISSION.UNAVAILABLE';

/** A rule a command broke; `field` names the domain field at fault (the edge maps it to the proto name). */
export class PolicyError extends Error {
  constructor(
    readonly code: PolicyErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}

export const invalid = (field: string, message: string): PolicyError =>
  new PolicyError('PERMISSION.INVALID_ARGUMENT', message, field);

export const notFound = (field: string, message: string): PolicyError =>
  new PolicyError('PERMISSION.NOT_FOUND', message, field);
