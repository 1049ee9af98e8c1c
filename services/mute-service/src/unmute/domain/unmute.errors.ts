export type FlowErrorCode =
  | 'MUTE.INVALID_ARGUMENT'
  | 'MUTE.NOT_FOUND'
  | 'MUTE.ALREADY_EXISTS'
  | 'MUTE.FAILED_PRECONDITION';

/** A rule a command of the flow features (unmutes, automations) broke; `field` names the domain field. */
export class FlowError extends Error {
  constructor(
    readonly code: FlowErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'FlowError';
  }
}

export const invalid = (field: string, message: string): FlowError =>
  new FlowError('MUTE.INVALID_ARGUMENT', message, field);
