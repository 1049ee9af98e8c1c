export type NotificationErrorCode =
  | 'NOTIFICATION.INVALID_ARGUMENT'
  | 'NOTIFICATION.PERMISSION_DENIED'
  | 'NOTIFICATION.NOT_FOUND'
  | 'NOTIFICATION.ALREADY_EXISTS'
  | 'NOTIFICATION.WRONG_EXPECTED_REVISION';

/** Coded so the gRPC edge maps it once (by the code's suffix); `field` names the request field. */
export class NotificationError extends Error {
  constructor(
    readonly code: NotificationErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
