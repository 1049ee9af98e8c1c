import { Metadata, status } from '@grpc/grpc-js';

/** What the gRPC transport sends back: a status code that means something, a message, and trailers. */
export interface GrpcError {
  code: status;
  message: string;
  details: string;
  metadata: Metadata;
}

// Domain errors carry stable codes ("TAG.NOT_FOUND", "EVENT_STORE.WRONG_EXPECTED_REVISION"); the status is
// chosen here, once, by the code's last part.
const BY_SUFFIX: [RegExp, status][] = [
  [/\.(NOT_FOUND|STREAM_NOT_FOUND)$/, status.NOT_FOUND],
  [/\.ALREADY_EXISTS$/, status.ALREADY_EXISTS],
  [/\.(WRONG_EXPECTED_REVISION|CONFLICT|EVENT_ID_CONFLICT)$/, status.ABORTED],
  [/\.(INVALID_ARGUMENT|VALIDATION)$/, status.INVALID_ARGUMENT],
  [/\.UNAUTHENTICATED$/, status.UNAUTHENTICATED],
  [/\.(PERMISSION_DENIED|([A-Z]+_)?FROZEN)$/, status.PERMISSION_DENIED],
  [/\.FAILED_PRECONDITION$/, status.FAILED_PRECONDITION],
  [/\.RESOURCE_EXHAUSTED$/, status.RESOURCE_EXHAUSTED],
  // Retryable: the read model has not caught up with the caller's consistency token yet.
  [/\.(UNAVAILABLE|CONSISTENCY_TIMEOUT)$/, status.UNAVAILABLE],
];

interface CodedError {
  code: string;
  message: string;
  field?: string;
}

function isCoded(error: unknown): error is CodedError {
  const code: unknown = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.includes('.');
}

/**
 * Maps any error to a gRPC error. Coded domain errors keep their message and travel with trailers
 * `tg-error-code` and (for a field problem) `tg-field`; anything else becomes INTERNAL with a generic
 * message, so no internals leak to callers (the caller of this logs the original).
 */
export function toGrpcError(error: unknown): GrpcError {
  const metadata = new Metadata();
  if (isCoded(error)) {
    const code = BY_SUFFIX.find(([pattern]) => pattern.test(error.code))?.[1] ?? status.FAILED_PRECONDITION;
    metadata.set('tg-error-code', error.code);
    if (error.field) metadata.set('tg-field', error.field);
    const message =
      error.field && !error.message.includes(error.field)
        ? `${error.field}: ${error.message}`
        : error.message;
    return { code, message, details: message, metadata };
  }
  metadata.set('tg-error-code', 'INTERNAL');
  return { code: status.INTERNAL, message: 'internal error', details: 'internal error', metadata };
}
