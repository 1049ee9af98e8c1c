export type MuteErrorCode =
  | 'MUTE.NOT_FOUND'
  | 'MUTE.ALREADY_EXISTS'
  | 'MUTE.INVALID_ARGUMENT'
  | 'MUTE.WRONG_EXPECTED_REVISION'
  | 'MUTE.FAILED_PRECONDITION'
  | 'MUTE.PERMISSION_DENIED'
  | 'MUTE.UNAVAILABLE';

/** A rule a command broke; `field` names the domain field at fault (the edge maps it to the proto name). */
export class MuteError extends Error {
  constructor(
    readonly code: MuteErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'MuteError';
  }
}

export const invalid = (field: string, message: string): MuteError =>
  new MuteError('MUTE.INVALID_ARGUMENT', message, field);
