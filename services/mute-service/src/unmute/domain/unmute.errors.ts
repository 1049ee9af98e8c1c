// The flow features raise mute-service's one error type, so the edge maps their fields like every other.
export { MuteError as FlowError, invalid } from '../../write/mute.errors';
export type { MuteErrorCode as FlowErrorCode } from '../../write/mute.errors';
